// BatchRunner, the apply step of process_change: sends a Plan's entry ops, data and metadata to
// the slave in that order, then records in the index exactly what the slave confirmed. Unlike
// gsyncd it never retries a whole changelog: each failed item is reported with its cause and
// stays unconfirmed, so the next turn sends it again.

import type { Gfid } from '../changelog/index.js';
import type { Confirmations, NameIndex, StoreConnection } from '../store/index.js';
import { displayPath, unescapeName } from '../changelog/index.js';
import type { Logger } from '../log.js';
import { LIMITS } from '../slave/index.js';
import type { OpFailure } from '../slave/index.js';
import type { SlaveCaller } from '../slave/index.js';
import type { DataItem, DataJob, DataJobResult } from '../syncer/index.js';
import type { Plan } from './plan.js';
import { PROBLEM } from '../problem-codes.js';

export interface DataSink {
  add(job: DataJob): Promise<DataJobResult>;
}

export interface ItemProblem {
  readonly path: string;
  /** An ItemCode (problem-codes.ts); a string because the slave's wire errors carry it as one. */
  readonly code: string;
  readonly message: string;
  /** The gfid the problem is about, when it is about one (the failure ledger keys on it). */
  readonly gfid?: Gfid;
}

/** What reached the slave: a batch's share (BatchOutcome), summed over a run (OneshotReport). */
export interface SentCounts {
  readonly entryOps: number;
  readonly metaOps: number;
  readonly dataFiles: number;
  readonly bytesSent: number;
  readonly deletes: number;
}

export interface BatchOutcome extends SentCounts {
  readonly failures: readonly ItemProblem[];
  /** Files that vanished before they were copied (moved or deleted meanwhile): a live session looks again. */
  readonly vanished: readonly ItemProblem[];
  /** Files whose content landed whole (no failure of theirs in the batch). */
  readonly delivered: readonly Gfid[];
}

export interface BatchDeps {
  readonly slave: SlaveCaller;
  readonly syncer: DataSink;
  /** Where the slave's confirmations go, and the names whose delete it confirmed leave. */
  readonly index: Pick<NameIndex, 'unlink' | 'removeTree'> & Confirmations & Pick<StoreConnection, 'transaction'>;
  readonly log: Logger;
  /** Names are this process's to change (one-shot); false when the recorder owns them (live). */
  readonly ownsNames: boolean;
}

export class BatchRunner {
  constructor(private readonly deps: BatchDeps) {}

  /**
   * Applies the batch's entry ops and resolves; `rest` (data, then metadata, then confirmation
   * in the index) goes on meanwhile. The caller can plan and apply the next batch's entry ops
   * while rsync moves this one's data: requests reach the agent in order, and a later batch's
   * metadata is sent after its own data, so a directory's mtime is always set last.
   */
  async start(
    plan: Plan,
    signal?: AbortSignal,
  ): Promise<{ rest: Promise<BatchOutcome>; entryFailures: readonly ItemProblem[] }> {
    const failed = new Map<Gfid, ItemProblem>();
    const fail = (gfid: Gfid, code: string, message: string, where?: string): void => {
      if (!failed.has(gfid)) failed.set(gfid, { path: where ?? this.display(plan, gfid), code, message, gfid });
    };
    const entryFailures = await this.sendEntryOps(plan, signal);
    for (const f of entryFailures) {
      const op = plan.entryOps[f.index];
      fail(f.gfid, f.code, f.message, f.path);
      // A failed LINK's name is forgotten, so the next turn finds it new again. (A failed CREATE
      // needs nothing: its gfid stays unconfirmed and is created again.)
      if (op?.op === 'LINK' && this.deps.ownsNames)
        this.deps.index.unlink({ pargfid: op.entry.pargfid, name: unescapeName(op.entry.name) });
    }
    let deletes = 0;
    this.deps.index.transaction(() => {
      for (const d of plan.deletions) {
        if (failed.has(d.gfid)) continue;
        deletes++;
        if (!this.deps.ownsNames) continue; // the recorder already forgot it (and may reuse the name)
        if (d.dir) this.deps.index.removeTree(d.gfid);
        else this.deps.index.unlink(d.entry);
      }
    });
    const early = [...failed.values()];
    return { rest: this.finish(plan, failed, fail, deletes, signal), entryFailures: early };
  }

  private async finish(
    plan: Plan,
    failed: Map<Gfid, ItemProblem>,
    fail: (gfid: Gfid, code: string, message: string, where?: string) => void,
    deletes: number,
    signal?: AbortSignal,
  ): Promise<BatchOutcome> {
    const data = await this.sendData(plan, failed, fail);
    const metaFailures = await this.sendMetaOps(plan, signal);
    for (const f of metaFailures) fail(f.gfid, f.code, f.message, f.path);
    this.deps.index.transaction(() => {
      for (const [gfid, attrs] of plan.confirm)
        if (!failed.has(gfid) && !data.vanished.has(gfid)) this.deps.index.markSynced(gfid, attrs);
      for (const { gfid, at } of plan.confirmNames)
        if (!failed.has(gfid) && !data.vanished.has(gfid)) this.deps.index.markNameSynced(gfid, at);
    });
    const outcome = {
      entryOps: plan.entryOps.length,
      metaOps: plan.metaOps.length,
      dataFiles: data.files,
      bytesSent: data.bytes,
      deletes,
      failures: [...failed.values()],
      delivered: data.delivered.filter((g) => !failed.has(g)),
      vanished: [...data.vanished].map((gfid) => ({
        gfid,
        path: this.display(plan, gfid),
        code: PROBLEM.VANISHED,
        message: 'the file moved or was removed while it was copied; it is synced again from where it is now',
      })),
    };
    this.deps.log.info('batch done', {
      batch: plan.batch,
      ...outcome,
      failures: outcome.failures.length,
      delivered: outcome.delivered.length,
    });
    return outcome;
  }

  private async sendData(
    plan: Plan,
    failed: ReadonlyMap<Gfid, ItemProblem>,
    fail: (gfid: Gfid, code: string, message: string) => void,
  ): Promise<{ files: number; bytes: number; vanished: Set<Gfid>; delivered: Gfid[] }> {
    // An item whose entry op failed has nowhere to land; it stays unconfirmed and is retried.
    const usable = (items: readonly DataItem[]): DataItem[] =>
      items.filter((i) => !failed.has(i.gfid) && plan.paths.has(i.gfid));
    const jobs = (
      [
        { batch: plan.batch, items: usable(plan.dataOff), quickCheck: 'off' },
        { batch: plan.batch, items: usable(plan.dataNs), quickCheck: 'ns' },
      ] satisfies DataJob[]
    ).filter((j) => j.items.length > 0);
    const vanished = new Set<Gfid>();
    const delivered: Gfid[] = [];
    let files = 0;
    let bytes = 0;
    const results = await Promise.all(jobs.map((j) => this.deps.syncer.add(j)));
    for (const r of results) {
      bytes += r.bytesSent;
      for (const o of r.outcomes) {
        if (!o.ok) fail(o.gfid, o.code, o.message);
        else if (o.vanished) vanished.add(o.gfid);
        else {
          files++;
          delivered.push(o.gfid);
        }
      }
    }
    return { files, bytes, vanished, delivered };
  }

  private sendEntryOps(plan: Plan, signal?: AbortSignal): Promise<OpFailure[]> {
    return this.inChunks(plan.entryOps, (ops) => this.deps.slave.call('entryOps', { ops }, signal));
  }

  private sendMetaOps(plan: Plan, signal?: AbortSignal): Promise<OpFailure[]> {
    return this.inChunks(plan.metaOps, (ops) => this.deps.slave.call('metaOps', { ops }, signal));
  }

  /** Sends ops in requests of at most LIMITS.opsPerBatch; failure indexes refer to `ops`. */
  private async inChunks<T>(
    ops: readonly T[],
    send: (chunk: readonly T[]) => Promise<{ readonly failures: readonly OpFailure[] }>,
  ): Promise<OpFailure[]> {
    const failures: OpFailure[] = [];
    for (let start = 0; start < ops.length; start += LIMITS.opsPerBatch) {
      const res = await send(ops.slice(start, start + LIMITS.opsPerBatch));
      for (const f of res.failures) failures.push({ ...f, index: f.index + start });
    }
    return failures;
  }

  private display(plan: Plan, gfid: Gfid): string {
    const rel = plan.paths.get(gfid);
    return rel === undefined ? gfid : displayPath(rel);
  }
}
