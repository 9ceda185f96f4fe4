// Repairer: turns verify's divergent lines into work the session does. What the slave must not
// keep in the way is dropped there first (an extra entry, unless ignore-deletes; the wrong
// object at a missing, retyped or retargeted name, with the slave index's names for it, so the
// entry is made afresh rather than found "present"); then every divergent master entry (a
// directory that is missing or of another type, with its subtree) is queued in the failure
// ledger as RESYNC, as `georep resync` queues, where the live worker or a one-shot sync picks
// it up and tracks it until it lands. Lines are handled in batches: memory is one batch.

import { ROOT_GFID, displayPath } from '../changelog/index.js';
import type { Gfid, GfidIndex } from '../changelog/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { SlaveCaller } from '../slave/client.js';
import { LIMITS } from '../slave/protocol.js';
import type { EntryLine } from './lines.js';
import { pathBytes } from './lines.js';
import type { Verdict } from './verdict.js';

/** Verdicts whose slave entry is dropped before the master's is sent again. */
const DROPPED: ReadonlySet<Verdict> = new Set(['missing', 'type', 'target']);
/** Problems listed by name in the report. */
const SHOWN_PROBLEMS = 20;

export interface RepairDeps {
  readonly index: GfidIndex;
  readonly slave: SlaveCaller;
  readonly clock: Clock;
  readonly log: Logger;
  /** ignore-deletes: entries only the slave has are kept. */
  readonly ignoreDeletes: boolean;
  readonly signal?: AbortSignal;
}

export interface RepairProblem {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface RepairReport {
  /** Divergent lines read. */
  divergent: number;
  /** Entries queued in the ledger (subtrees counted entry by entry). */
  queued: number;
  /** Entries the ledger held already (a failure being retried): left as they are. */
  alreadyQueued: number;
  /** Slave places emptied or forgotten. */
  dropped: number;
  /** Extra slave entries kept (ignore-deletes). */
  kept: number;
  /** Problems (not in the session index, a drop that failed), the first SHOWN_PROBLEMS of them. */
  readonly problems: RepairProblem[];
  problemCount: number;
}

export class Repairer {
  private batch: EntryLine[] = [];
  readonly report: RepairReport = {
    divergent: 0,
    queued: 0,
    alreadyQueued: 0,
    dropped: 0,
    kept: 0,
    problems: [],
    problemCount: 0,
  };

  constructor(private readonly deps: RepairDeps) {}

  async add(line: EntryLine): Promise<void> {
    if (line.verdict === 'ok') return;
    this.report.divergent++;
    this.batch.push(line);
    if (this.batch.length >= LIMITS.namesPerCall) await this.flush();
  }

  async finish(): Promise<RepairReport> {
    await this.flush();
    return this.report;
  }

  private async flush(): Promise<void> {
    const lines = this.batch;
    this.batch = [];
    if (lines.length === 0) return;
    await this.drop(lines);
    const nowMs = this.deps.clock.nowMs();
    this.deps.index.transaction(() => {
      for (const l of lines) if (l.verdict !== 'extra') this.queue(l, nowMs);
    });
  }

  private async drop(lines: readonly EntryLine[]): Promise<void> {
    const paths: string[] = [];
    for (const l of lines) {
      if (l.path === '.') continue;
      if (l.verdict === 'extra' && this.deps.ignoreDeletes) this.report.kept++;
      else if (l.verdict === 'extra' || DROPPED.has(l.verdict)) paths.push(l.path); // a line's path is a WirePath
    }
    if (paths.length === 0) return;
    const r = await this.deps.slave.call('dropPaths', { paths }, this.deps.signal);
    this.report.dropped += r.dropped;
    for (const f of r.failures)
      this.problem({ path: paths[f.index] ?? f.path ?? '?', code: f.code, message: f.message });
  }

  private queue(l: EntryLine, nowMs: number): void {
    const gfid = this.resolve(l.path);
    if (gfid === undefined) {
      this.problem({
        path: l.path,
        code: 'GFID_UNKNOWN',
        message:
          'not in the session index (not synced yet, or changed since the verify): run georep sync or verify again',
      });
      return;
    }
    const subtree = l.type === 'dir' && (l.verdict === 'missing' || l.verdict === 'type');
    if (!subtree) {
      this.record(gfid, l.path, l.verdict, nowMs);
      return;
    }
    const stack: Gfid[] = [gfid];
    while (stack.length > 0) {
      const g = stack.pop() as Gfid; // length checked above
      this.record(g, undefined, l.verdict, nowMs);
      for (const child of this.deps.index.children(g)) {
        if (child.type === 'dir') stack.push(child.gfid);
        else this.record(child.gfid, undefined, l.verdict, nowMs);
      }
    }
  }

  private record(gfid: Gfid, path: string | undefined, verdict: Verdict, nowMs: number): void {
    const { index } = this.deps;
    const held = index.ledgerGet(gfid);
    if (held !== undefined) {
      if (held.code !== 'RESYNC') this.report.alreadyQueued++;
      return;
    }
    const where = path ?? pathOf(index, gfid);
    index.ledgerRecord(
      {
        gfid,
        path: where,
        code: 'RESYNC',
        errno: null,
        message: `queued by georep repair (verify said ${verdict})`,
        // A checkpoint set from now on waits for it; one set before does not.
        changeMs: nowMs,
      },
      nowMs,
      nowMs,
      0,
    );
    this.report.queued++;
  }

  /** The master gfid at a line's path, by the session index's names. */
  private resolve(path: string): Gfid | undefined {
    const rel = pathBytes(path);
    let gfid: Gfid | undefined = ROOT_GFID;
    let start = 0;
    while (gfid !== undefined && start < rel.length) {
      const end = rel.indexOf(0x2f, start);
      const stop = end < 0 ? rel.length : end;
      gfid = this.deps.index.lookup(gfid, rel.subarray(start, stop))?.gfid;
      start = stop + 1;
    }
    return gfid;
  }

  private problem(p: RepairProblem): void {
    this.report.problemCount++;
    if (this.report.problems.length < SHOWN_PROBLEMS) this.report.problems.push(p);
    this.deps.log.warn(`repair: ${p.path}: ${p.message}`, { code: p.code });
  }
}

function pathOf(index: GfidIndex, gfid: Gfid): string {
  const rel = index.pathOf(gfid);
  if (rel === undefined) return gfid;
  return displayPath(rel);
}
