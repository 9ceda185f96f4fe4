// Syncer: the staged queue that relays data jobs to `syncJobs` workers, each running one box
// (at most `syncBoxFiles` gfids of one quickCheck mode) through stageData -> engine -> commitData.
// Invariant: a gfid is in at most one running box; a second request for it waits its turn.

import type { Gfid } from '../changelog/index.js';
import type { SyncerConfig } from '../config.js';
import { errnoOf, GeorepError, isGeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { LIMITS, PathClaims } from '../slave/index.js';
import type { SlaveCaller } from '../slave/index.js';
import { runBox } from './box-run.js';
import type { BoxReport } from './box-run.js';
import type { SyncEngine } from './engine.js';
import type { DataItem, DataJob, DataJobResult, DataOutcome, QuickCheck } from './job.js';
import { BOX_MESSAGE_BYTES, ITEM_WIRE_BYTES, MIN_BOX_FILES } from './constants.js';
import { PostBox } from './postbox.js';
import type { Delivery, Selector } from './postbox.js';

export type SyncerOptions = SyncerConfig & {
  /** The master root (absolute): data item paths are relative to it. */
  readonly sourceRoot: string;
  /** The slave's staging dir (hello's stagingDir). */
  readonly stagingDir: string;
  /** No recorder watches the master: each copied file is checked unchanged after its copy (BoxRequest.checkSettled). */
  readonly checkSettled: boolean;
};

export interface SyncerDeps {
  readonly slave: SlaveCaller;
  readonly engine: SyncEngine;
  readonly log: Logger;
}

/** One item as queued: the job's mode and batch travel with it. */
interface Letter {
  readonly item: DataItem;
  readonly quickCheck: QuickCheck;
  readonly batch: string;
}

interface ItemResult {
  readonly outcome: DataOutcome;
  /** This item's share of its box's bytes (by planned size), so a job can sum its own. */
  readonly bytes: number;
}

/**
 * Why a staged queue (gsyncd's Syncer docstring): one rsync per file would drown in process
 * start-ups and handshakes, so items accumulate in a PostBox and a free worker takes them all
 * at once, up to `syncBoxFiles`. While it runs, new items pile up for the next worker.
 *
 * Where we depart from gsyncd: a box holds one quickCheck mode, because the mode is an rsync
 * flag for the whole run; and a gfid never rides in two running boxes at once, because two
 * workers staging and committing the same gfid could commit the older content last. The
 * second request is deferred in the queue until the first box is done. Idle workers wait on
 * a promise, not a 0.5 s sleep.
 */
export class Syncer {
  readonly #box = new PostBox<Letter, ItemResult>();
  readonly #inFlight = new Set<Gfid>();
  readonly #abort = new AbortController();
  readonly #workers: Promise<void>[];
  #filesSynced = 0;
  #busy = 0;
  #bytesSynced = 0;

  constructor(
    private readonly cfg: SyncerOptions,
    private readonly deps: SyncerDeps,
  ) {
    if (!Number.isInteger(cfg.syncJobs) || cfg.syncJobs < 1) {
      throw new GeorepError('CONFIG_INVALID', `sync-jobs must be an integer >= 1, got ${cfg.syncJobs}`);
    }
    if (!Number.isInteger(cfg.syncBoxFiles) || cfg.syncBoxFiles < 1) {
      throw new GeorepError('CONFIG_INVALID', `sync-box-files must be an integer >= 1, got ${cfg.syncBoxFiles}`);
    }
    this.#workers = Array.from({ length: cfg.syncJobs }, () => this.#work());
  }

  /** Files committed on the slave so far (vanished and failed items not counted). */
  get filesSynced(): number {
    return this.#filesSynced;
  }

  /** Bytes the engine reported sending so far. */
  get bytesSynced(): number {
    return this.#bytesSynced;
  }

  /** Items queued and not yet taken by a worker. */
  get pending(): number {
    return this.#box.size;
  }

  /**
   * Queues a job's items; resolves when every one is done, with one outcome per item in the
   * job's order. Rejects only when the slave call itself failed (the agent died, a limit).
   * Rejects with ABORTED after close().
   */
  async add(job: DataJob): Promise<DataJobResult> {
    const letters = job.items.map((item) => ({ item, quickCheck: job.quickCheck, batch: job.batch }));
    const results = await Promise.all(this.#box.postAll(letters));
    return {
      outcomes: results.map((r) => r.outcome),
      bytesSent: results.reduce((sum, r) => sum + r.bytes, 0),
    };
  }

  /**
   * No more jobs; resolves once every queued item is done and the workers have stopped.
   * When `signal` aborts, running transfers are killed and the remaining items end ABORTED.
   */
  async close(signal?: AbortSignal): Promise<void> {
    this.#box.close();
    const onAbort = (): void => this.#abort.abort(signal?.reason);
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(this.#workers);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * How much one worker takes: the queue shared among the idle workers, so a burst keeps every
   * worker busy instead of one taking `syncBoxFiles` and the others a remainder; never less
   * than MIN_BOX_FILES (an rsync start costs more than a few small files) nor more than the cap.
   */
  #boxSize(): number {
    const idle = Math.max(1, this.cfg.syncJobs - this.#busy);
    const share = Math.ceil(this.#box.size / idle);
    // A box is staged and committed in one request each: never more items than one may carry.
    return Math.min(this.cfg.syncBoxFiles, LIMITS.gfidsPerCall, Math.max(MIN_BOX_FILES, share));
  }

  /** The life of a worker: take a box, run it, wake its posters, repeat until closed and drained. */
  async #work(): Promise<void> {
    while (!this.#box.drained) {
      // Take and mark in flight in one synchronous step: another worker resuming in between
      // must already see these gfids as running (PostBox.take would leave that gap).
      const delivery = this.#box.tryTake(this.#boxSize(), this.#selector());
      if (delivery === undefined) {
        await this.#box.whenChanged();
        continue;
      }
      this.#busy++;
      const gfids = delivery.items.map((l) => l.item.gfid);
      for (const g of gfids) this.#inFlight.add(g);
      try {
        delivery.deliver(await this.#run(delivery));
      } catch (e) {
        delivery.fail(e); // relayed, not swallowed: each job waiting on this box rejects with it
      } finally {
        this.#busy--;
        for (const g of gfids) this.#inFlight.delete(g);
        this.#box.nudge(); // deferred requests for these gfids may go now
      }
    }
  }

  /**
   * Accepts letters of the first one's mode whose gfid is neither running nor already taken,
   * whose path collides with no other item of the box, while the box's requests stay within
   * BOX_MESSAGE_BYTES. A letter refused here waits for a later box.
   */
  #selector(): Selector<Letter> {
    let mode: QuickCheck | undefined;
    let sparse: boolean | undefined;
    const taken = new Set<Gfid>();
    const paths = new PathClaims();
    let bytes = 0;
    return (l) => {
      const g = l.item.gfid;
      if (this.#inFlight.has(g) || taken.has(g)) return false;
      // One rsync run per box: its flags (quick check, -S) are the same for every item.
      if ((mode !== undefined && l.quickCheck !== mode) || (sparse !== undefined && l.item.sparse !== sparse)) {
        return false;
      }
      const cost = ITEM_WIRE_BYTES + 3 * l.item.path.length; // an escaped byte takes at most 3 chars
      if (bytes + cost > BOX_MESSAGE_BYTES || !paths.claim(l.item.path)) return false;
      mode = l.quickCheck;
      sparse = l.item.sparse;
      taken.add(g);
      bytes += cost;
      return true;
    };
  }

  async #run(delivery: Delivery<Letter, ItemResult>): Promise<ItemResult[]> {
    const letters = delivery.items;
    const signal = this.#abort.signal;
    if (signal.aborted) return letters.map((l) => ({ outcome: abortedOutcome(l.item.gfid), bytes: 0 }));
    const quickCheck = letters[0]?.quickCheck ?? 'off'; // a box is never empty: PostBox.tryTake
    const sparse = letters[0]?.item.sparse ?? false;
    let report: BoxReport;
    try {
      report = await runBox(
        {
          sourceRoot: this.cfg.sourceRoot,
          stagingDir: this.cfg.stagingDir,
          items: letters.map((l) => l.item),
          quickCheck,
          sparse,
          checkSettled: this.cfg.checkSettled,
          signal,
        },
        this.deps,
      );
    } catch (e) {
      // A slave call cut short by our own abort is a shutdown, not a failure of the slave.
      if (signal.aborted) return letters.map((l) => ({ outcome: abortedOutcome(l.item.gfid), bytes: 0 }));
      this.deps.log.warn('data box failed', {
        engine: this.deps.engine.name,
        gfids: letters.length,
        code: isGeorepError(e) ? e.code : errnoOf(e),
        error: e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
    this.#account(letters, report, quickCheck);
    const shares = shareBytes(
      report.bytesSent,
      letters.map((l) => l.item.size),
    );
    return report.outcomes.map((outcome, i) => ({ outcome, bytes: shares[i] ?? 0 }));
  }

  /** Running totals and the one log line per box (never one per file). */
  #account(letters: readonly Letter[], report: BoxReport, quickCheck: QuickCheck): void {
    const ok = report.outcomes.filter((o) => o.ok && !o.vanished).length;
    const vanished = report.outcomes.filter((o) => o.ok && o.vanished).length;
    this.#filesSynced += ok;
    this.#bytesSynced += report.bytesSent;
    const fields = {
      engine: this.deps.engine.name,
      batches: [...new Set(letters.map((l) => l.batch))],
      quickCheck,
      gfids: letters.length,
      ok,
      vanished,
      failed: letters.length - ok - vanished,
      bytes: report.bytesSent,
      durationMs: report.durationMs,
      exitCode: report.exitCode,
    };
    if (report.fatal === undefined)
      this.deps.log.debug('data box synced', fields); // per box: info is one line per batch
    else this.deps.log.warn('data box failed', { ...fields, code: report.fatal.code, error: report.fatal.message });
  }
}

function abortedOutcome(gfid: Gfid): DataOutcome {
  return {
    gfid,
    ok: false,
    code: 'ABORTED',
    message: `sync of gfid ${gfid} was cancelled: the syncer is shutting down`,
  };
}

/** Splits `total` over items in proportion to their planned sizes (evenly if all are 0). */
export function shareBytes(total: number, sizes: readonly number[]): number[] {
  if (sizes.length === 0) return [];
  const weights = sizes.every((s) => s <= 0) ? sizes.map(() => 1) : sizes.map((s) => Math.max(s, 0));
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => Math.floor((total * w) / sum));
  const rest = total - shares.reduce((a, b) => a + b, 0);
  shares[0] = (shares[0] ?? 0) + rest; // rounding remainder, so the shares add up to total
  return shares;
}
