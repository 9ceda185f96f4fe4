// Repairer: turns verify's divergent lines into work the session does. What the slave must not
// keep in the way is dropped there first (an extra entry, unless ignore-deletes; the wrong
// object at a missing, retyped or retargeted name, with the slave index's names for it, so the
// entry is made afresh rather than found "present"); then every divergent master entry (a
// directory that is missing or of another type, with its subtree) is queued in the failure
// ledger as RESYNC, as `georep resync` queues, where the live worker or a one-shot sync picks
// it up and tracks it until it lands. Lines are handled in batches: memory is one batch.
// Extra entries obey the mass-delete brake as a sync's deletes do: they are removed only at
// the end, and not at all when what they hold on the slave (an extra directory is one line,
// its subtree counted by the agent) is over delete-brake-count or delete-brake-percent of the
// entries verify saw, or when the master root is empty (an emptied or unmounted master makes
// every slave entry extra), unless --allow-mass-delete.
// Lines may be old (a file read later): a line is acted on by what the master has now. An
// extra entry the master has since made is not removed, and a dropped place is sent again
// with the subtree the master's index now holds under it, whatever type the line saw.

import fs from 'node:fs';
import { ROOT_GFID, absPath, displayPath } from '../changelog/index.js';
import { hasErrno } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { FailureLedgerStore, NameIndex, StoreConnection } from '../store/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { isEmptyDir, limitCause } from '../master/delete-brake.js';
import type { BrakeConfig } from '../master/delete-brake.js';
import { subtreeOf } from '../master/subtree-resync.js';
import type { SlaveCaller } from '../slave/client.js';
import { LIMITS } from '../slave/protocol.js';
import type { EntryLine } from './lines.js';
import { pathBytes } from './lines.js';
import type { Verdict } from './verdict.js';
import { PROBLEM } from '../problem-codes.js';

/** Verdicts whose slave entry is dropped before the master's is sent again. */
const DROPPED: ReadonlySet<Verdict> = new Set(['missing', 'type', 'target']);
/** Problems listed by name in the report. */
const SHOWN_PROBLEMS = 20;
/** Extra entries held for the brake's decision when delete-brake-count does not bound them. */
const MAX_HELD_EXTRAS = 100_000;

export interface RepairDeps {
  /** Names to find what drifted, the ledger to queue it in. */
  readonly index: NameIndex & FailureLedgerStore & Pick<StoreConnection, 'transaction'>;
  readonly slave: SlaveCaller;
  readonly clock: Clock;
  readonly log: Logger;
  /** ignore-deletes: entries only the slave has are kept. */
  readonly ignoreDeletes: boolean;
  /** The mass-delete brake's limits, for the extras. */
  readonly brake: BrakeConfig;
  /** --allow-mass-delete: extras go whatever their number, as they come. */
  readonly allowMassDelete: boolean;
  /** The master root (an empty one makes every slave entry extra: nothing is removed then). */
  readonly masterRoot: string;
  readonly signal?: AbortSignal;
}

/** What a verify --repair or a repair run gives its Repairer besides the session it opened. */
export interface RepairRunOptions {
  readonly log: Logger;
  readonly config: BrakeConfig & { readonly ignoreDeletes: boolean };
  readonly masterRoot: string;
  readonly allowMassDelete: boolean;
}

/** A Repairer on an opened session's index and agent, with the run's options. */
export function sessionRepairer(
  opts: RepairRunOptions,
  index: RepairDeps['index'],
  slave: SlaveCaller,
  clock: Clock,
  signal: AbortSignal,
): Repairer {
  return new Repairer({
    index,
    slave,
    clock,
    log: opts.log,
    ignoreDeletes: opts.config.ignoreDeletes,
    brake: opts.config,
    allowMassDelete: opts.allowMassDelete,
    masterRoot: opts.masterRoot,
    signal,
  });
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
  /** Extra paths waiting for the brake's decision at finish() (unless --allow-mass-delete). */
  private extras: string[] = [];
  private extraCount = 0;
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

  /** `total`: the entries verify examined, the base of delete-brake-percent (unknown: count limit only). */
  async finish(total?: number): Promise<RepairReport> {
    await this.flush();
    if (this.extraCount === 0 || this.deps.allowMassDelete) return this.report; // (dropped as they came)
    const cause = await this.brakeCause(total);
    if (cause !== undefined) {
      const message = `${cause}; no extra entry was removed from the slave: rerun with --allow-mass-delete to remove ${this.extraCount}`;
      this.problem({ path: '.', code: PROBLEM.MASS_DELETE, message });
      return this.report;
    }
    for (let k = 0; k < this.extras.length; k += LIMITS.namesPerCall)
      await this.dropAll(this.extras.slice(k, k + LIMITS.namesPerCall));
    this.extras = [];
    return this.report;
  }

  private async brakeCause(total: number | undefined): Promise<string | undefined> {
    const { brake, masterRoot } = this.deps;
    if (isEmptyDir(masterRoot)) return `the master root ${masterRoot} is empty (unmounted or emptied?)`;
    if (this.extras.length < this.extraCount)
      return `${this.extraCount} entries only on the slave are more than a repair holds back (${this.extras.length})`;
    // What the removals take, not how many lines name them: 3 extra directories of 100 files
    // each were 3 lines, under delete-brake-min, and a repair removed 75 % of a slave.
    const cap = brake.deleteBrakeCount > 0 ? brake.deleteBrakeCount + 1 : Number.MAX_SAFE_INTEGER;
    let entries = 0;
    for (let k = 0; k < this.extras.length && entries < cap; k += LIMITS.namesPerCall) {
      const paths = this.extras.slice(k, k + LIMITS.namesPerCall);
      entries += (await this.deps.slave.call('countPaths', { paths, cap: cap - entries }, this.deps.signal)).entries;
    }
    return limitCause(brake, { entries, total: total ?? 0 });
  }

  private async flush(): Promise<void> {
    const lines = this.batch;
    this.batch = [];
    if (lines.length === 0) return;
    await this.drop(lines);
    if (this.deps.allowMassDelete) {
      await this.dropAll(this.extras);
      this.extras = [];
    }
    const nowMs = this.deps.clock.nowMs();
    this.deps.index.transaction(() => {
      for (const l of lines) if (l.verdict !== 'extra') this.queue(l, nowMs);
    });
  }

  private async drop(lines: readonly EntryLine[]): Promise<void> {
    const paths: string[] = []; // a line's path is a WirePath
    for (const l of lines) {
      if (l.path === '.') continue;
      if (l.verdict === 'extra') this.extra(l.path);
      else if (DROPPED.has(l.verdict)) paths.push(l.path);
    }
    await this.dropAll(paths);
  }

  /** An entry only the slave has: kept (ignore-deletes), removed now (--allow-mass-delete), or held. */
  private extra(path: string): void {
    if (this.onMasterNow(path)) {
      // The line is older than the master's entry (a verify file read later): removing it would
      // take what a sync has sent since, and the master's index would still count it as there.
      this.problem({
        path,
        code: PROBLEM.CHANGED_SINCE_VERIFY,
        message: 'the master has this entry now: it was not removed from the slave; run georep verify again',
      });
      return;
    }
    if (this.deps.ignoreDeletes) {
      this.report.kept++;
      return;
    }
    this.extraCount++;
    const cap = this.deps.brake.deleteBrakeCount > 0 ? this.deps.brake.deleteBrakeCount + 1 : MAX_HELD_EXTRAS;
    if (this.deps.allowMassDelete || this.extras.length < cap) this.extras.push(path);
  }

  private async dropAll(paths: readonly string[]): Promise<void> {
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
    // The slave's place was dropped whole (DROPPED): what the master's index holds under the
    // entry now goes again, whatever type the line saw (a file then may be a directory since).
    const dropped = DROPPED.has(l.verdict);
    const subtree = dropped ? this.deps.index.objectOf(gfid)?.type === 'dir' : false;
    if (!subtree) {
      this.record(gfid, l.path, l.verdict, nowMs);
      return;
    }
    for (const g of subtreeOf(this.deps.index, gfid)) this.record(g, undefined, l.verdict, nowMs);
  }

  private record(gfid: Gfid, path: string | undefined, verdict: Verdict, nowMs: number): void {
    const { index } = this.deps;
    const held = index.ledgerGet(gfid);
    if (held !== undefined) {
      if (held.code !== PROBLEM.RESYNC) this.report.alreadyQueued++;
      return;
    }
    const where = path ?? pathOf(index, gfid);
    index.ledgerRecord(
      {
        gfid,
        path: where,
        code: PROBLEM.RESYNC,
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

  /**
   * Whether the master has an entry at a line's path now (a symlink's own name counts). One it
   * cannot tell of (EACCES, EIO) counts as there: nothing is removed on a guess.
   */
  private onMasterNow(wirePath: string): boolean {
    try {
      fs.lstatSync(absPath(Buffer.from(this.deps.masterRoot), pathBytes(wirePath)));
      return true;
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return false;
      return true;
    }
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

function pathOf(index: Pick<NameIndex, 'pathOf'>, gfid: Gfid): string {
  const rel = index.pathOf(gfid);
  if (rel === undefined) return gfid;
  return displayPath(rel);
}
