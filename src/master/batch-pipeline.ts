// BatchPipeline: one turn's batches, with one owner. Each batch goes read → classify → plan →
// (adopt what a seed copy made) → apply (BatchRunner: entry ops, then data and metadata in the
// background); settle() waits for every batch of the turn and returns a TurnResult. The crawl
// mixins decide what a turn feeds in and what its result means for stime; the turn's problems,
// lost batches and job table (gsyncd's jobtab) are this object's alone.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { displayPath, readChangelog } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import { LIMITS } from '../slave/index.js';
import type { BatchRunner, ItemProblem } from './batch-runner.js';
import type { CrawlStats } from './crawl-stats.js';
import type { DeleteHold } from './delete-brake.js';
import type { MasterDeps } from './master-deps.js';
import type { Plan } from './plan.js';
import { ChangeClassifier } from './process-change.js';
import type { Seen } from './process-change.js';
import { reverifying } from './reverify.js';
import type { SeedStep } from './seeding.js';
import { PROBLEM } from '../problem-codes.js';

/** What one turn achieved, once every batch of it settled. */
export interface TurnResult {
  /**
   * gfids the turn could not bring to the slave (failed, vanished mid-copy, not yet where the
   * recorder says, blocked by a held delete), with why: a live session files them in the
   * failure ledger and syncs them again from their current state.
   */
  readonly problems: ReadonlyMap<Gfid, ItemProblem>;
  /**
   * Batches whose outcome is unknown: the slave agent died or the worker stopped while they
   * were in flight, or a failure named no entry. What they carried is in no ledger, so the
   * changelogs they came from must be read again, never marked done.
   */
  readonly lostBatches: number;
  /** Every batch landed whole: none failed an item or was lost (the purge of `after` aside). */
  readonly allLanded: boolean;
  /** Failures counted while the turn ran (CrawlStats.failureEvents): a one-shot turn with any keeps stime. */
  readonly failures: number;
  /** Files whose content landed whole in this turn (BatchOutcome.delivered of every batch). */
  readonly delivered: ReadonlySet<Gfid>;
}

/** One changelog file of a batch; `entryOps: false` replays only its data and metadata (its entry ops landed). */
export interface BatchFile {
  readonly path: string;
  readonly entryOps: boolean;
}

export type BatchSource = 'changelog' | 'crawl';

/** What every turn of a master shares: its deps, and the apply step (which holds the Syncer). */
export type PipelineDeps = Pick<
  MasterDeps,
  'root' | 'index' | 'slave' | 'log' | 'clock' | 'ownsNames' | 'statsFile' | 'onBatch' | 'onBatchDone' | 'signal'
> & {
  readonly runner: BatchRunner;
  /** The session's counters: the pipeline moves its batches from pending to done there. */
  readonly stats: CrawlStats;
  /** Purge axis: do deletions on the master reach the slave? */
  readonly propagateDeletes: boolean;
};

/**
 * Batches whose data may still be moving while the next one is planned: two lets the crawl and
 * entry ops of one batch overlap rsync of the previous one; more would only queue in the Syncer.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Records classified between two turns of the event loop. Classifying is synchronous work (index
 * lookups and an lstat per record, about 0.1 ms each): a batch of 4,000 held the loop for 0.4 s,
 * and meanwhile the batch before it could neither send the agent its next request nor take a
 * reply. Master and agent took turns instead of working side by side (a first sync's adoption of
 * 50,000 copied entries: 8.2 s, of which both were busy at once for 0.6 s).
 */
const CLASSIFY_SLICE = 256;

export class BatchPipeline {
  private readonly problems = new Map<Gfid, ItemProblem>();
  private readonly delivered = new Set<Gfid>();
  private lostBatches = 0;
  /**
   * Set while the mass-delete brake holds this turn's deletes (delete-brake.ts): batches
   * classified meanwhile keep their deletes from the slave and hand them to `hold` (before
   * anything of the batch is sent), and block entry ops that would take a held name.
   */
  private hold: DeleteHold | undefined;
  private readonly failuresAtStart: number;
  /** The turn's batches, each true once it landed whole. A batch that threw counts as false (it recorded why itself). */
  private readonly batches: Promise<boolean>[] = [];
  /** The batches still moving data: the next batch waits while MAX_BATCHES_IN_FLIGHT are. */
  private readonly inFlight = new Set<Promise<boolean>>();
  /** Resolves when the batch before has sent its entry ops: batches reach the slave in order. */
  private sendOrder: Promise<void> = Promise.resolve();
  /** Resolves when the batch before the previous one has sent its entry ops (see process()). */
  private classifyGate: Promise<void> = Promise.resolve();
  /**
   * Resolves when the batch before has been classified: batches are classified one at a time, in
   * order. A classification yields to the event loop (CLASSIFY_SLICE), never to another batch's
   * classification: the brake's holds and the index are as the batches before left them.
   */
  private classified: Promise<void> = Promise.resolve();
  /** Batches handed to process() and not yet sent. */
  private batchesAhead = 0;
  private settling = false;

  /** `seed`: the first sync into an empty slave only (seeding.ts); every other turn sends by gfid. */
  constructor(
    private readonly deps: PipelineDeps,
    private readonly seed?: SeedStep,
  ) {
    this.failuresAtStart = deps.stats.failureEvents;
  }

  /**
   * The brake's verdict for the batches classified from now on (undefined: deletes go). A live
   * changelog turn decides it after a release's batches and before its own (brake-turn.ts).
   */
  holdDeletes(hold: DeleteHold | undefined): void {
    this.hold = hold;
  }

  /**
   * process_change: one changelog file, classified into a plan and applied on the slave.
   * Resolves once its entry ops are applied; its data and metadata are confirmed in the
   * background and waited for by settle().
   */
  processFile(file: string, source: BatchSource, seen?: Map<Gfid, Seen>): Promise<void> {
    // Not async: a suspended frame here would keep `seen` alive while the batch waits.
    return this.process([{ path: file, entryOps: true }], source, seen);
  }

  /** process_change over several changelog files as one batch (gsyncd's changelog-batch-size). */
  async process(files: readonly BatchFile[], source: BatchSource, seen?: Map<Gfid, Seen>): Promise<void> {
    if (this.settling) throw new GeorepError('INTERNAL', 'a batch was handed to a settled turn (a georep bug)');
    // Batches are handed over faster than they are sent while a seed copy runs (XsyncSink
    // holds them all until it ends). One is classified while the one before is sent; the others
    // wait as files. A waiting batch drops the crawl's lstat of its entries and is classified
    // from the index and a fresh lstat when its turn comes: held as plans (or as the crawl's
    // BigIntStats), a whole tree cost ~2.8 KiB of heap per entry (140 MiB at 50k files).
    const gate = this.classifyGate;
    const turn = this.sendOrder;
    const before = this.classified;
    let sent = (): void => undefined;
    let classifiedNow = (): void => undefined;
    this.classifyGate = turn;
    this.sendOrder = new Promise((resolve) => (sent = resolve));
    this.classified = new Promise((resolve) => (classifiedNow = resolve));
    const waits = this.batchesAhead >= 2;
    let mine: Map<Gfid, Seen> | undefined = waits ? undefined : seen;
    const unconfirmed = waits && seen !== undefined && seen.size > 0 && nothingConfirmed(seen);
    seen = undefined;
    this.batchesAhead++;
    try {
      await gate;
      await before;
      const classified = await this.classify(files, source, mine, unconfirmed);
      classifiedNow();
      mine = undefined;
      await turn;
      await this.sendBatch(classified, files.map((f) => f.path).join(', '));
    } finally {
      this.batchesAhead--;
      classifiedNow(); // a classification that threw: the next batch's may go
      sent();
    }
  }

  /** The problems found so far (those of every batch whose entry ops are applied among them): a live view. */
  problemsSoFar(): ReadonlyMap<Gfid, ItemProblem> {
    return this.problems;
  }

  /** A gfid this turn could not bring to the slave, not counted as a failure: the ledger keeps it. */
  retryLater(problem: ItemProblem & { readonly gfid: Gfid }): void {
    this.problems.set(problem.gfid, problem);
  }

  /** Normal purge on a full crawl: the slave drops entries in these directories it never got from us. */
  async purgeUnknown(dirs: readonly Gfid[]): Promise<void> {
    const { slave, signal, stats } = this.deps;
    for (let start = 0; start < dirs.length; start += LIMITS.gfidsPerCall) {
      const chunk = dirs.slice(start, start + LIMITS.gfidsPerCall);
      const res = await slave.call('purgeUnknown', { dirs: chunk }, signal);
      stats.counts.deletes += res.removed;
      const problems = res.failures.map((f) => ({ path: f.path ?? f.gfid, code: f.code, message: f.message }));
      stats.addFailures(problems);
      res.failures.forEach((f, i) => this.problems.set(f.gfid, { ...(problems[i] as ItemProblem), gfid: f.gfid }));
    }
    this.saveStats();
  }

  /**
   * Waits for every batch of the turn, runs `after` (work that needs every batch confirmed, such
   * as the purge, which reports into this turn), and returns what the turn achieved. Once only:
   * a batch handed over later would never be waited for.
   */
  async settle(after?: () => Promise<void>): Promise<TurnResult> {
    if (this.settling) throw new GeorepError('INTERNAL', 'a turn was settled twice (a georep bug)');
    this.settling = true;
    const landed = (await Promise.all(this.batches.splice(0))).every(Boolean);
    await after?.();
    return {
      problems: new Map(this.problems),
      lostBatches: this.lostBatches,
      allLanded: landed,
      failures: this.deps.stats.failureEvents - this.failuresAtStart,
      delivered: new Set(this.delivered),
    };
  }

  /**
   * process_change's classify step over the batch's files, into one plan. It yields to the event
   * loop every CLASSIFY_SLICE records, so the batches already sending keep their requests and
   * replies moving. What runs meanwhile (another batch's confirmations, the crawl's next chunk)
   * changes the index as it could between two batches: each record's decision is about its own
   * gfid and reads the index as it is then.
   */
  private async classify(
    files: readonly BatchFile[],
    source: BatchSource,
    seen: Map<Gfid, Seen> | undefined,
    unconfirmed = false,
  ): Promise<Plan> {
    const { deps } = this;
    // The recorder renames directories in another process: paths cached for one batch only.
    if (!deps.ownsNames) deps.index.forgetCachedPaths();
    const hold = this.hold;
    const common = {
      source,
      propagateDeletes: deps.propagateDeletes,
      reverifyContent: reverifying(deps.index),
      ...(seen === undefined ? {} : { seen }),
      ...(unconfirmed ? { unconfirmed } : {}),
      ...(deps.ownsNames ? {} : { namesElsewhere: true }),
      ...(hold === undefined ? {} : { hold }),
    };
    // One classifier per batch keeps the plan's order: each file's records are added in turn.
    const classifier = new ChangeClassifier(deps.root, deps.index, common);
    let n = 0;
    for (const f of files) {
      classifier.setEntryOps(f.entryOps);
      for (const change of readChangelog(f.path)) {
        classifier.add(change);
        if (++n % CLASSIFY_SLICE === 0) await nextTurn();
      }
    }
    const classified = classifier.plan(files.at(-1)?.path ?? '');
    // Kept before anything of the batch is sent: a crash then replays the batch, holding again.
    if (classified.held.length > 0) hold?.hold(classified.held);
    return classified;
  }

  /** Adopts what a seed copy made, then applies the batch's entry ops; data and metadata go on. */
  private async sendBatch(classified: Plan, file: string): Promise<void> {
    const { deps } = this;
    const { stats } = deps;
    const adoption = this.seed === undefined ? { plan: classified, adopted: 0 } : await this.seed.adopt(classified);
    stats.counts.entriesSeeded += adoption.adopted;
    const { plan } = adoption;
    if (plan.unresolved.length > 0) {
      deps.log.debug('the recorder has not caught up with some entries; they are synced again later', {
        batch: file,
        gfids: plan.unresolved.length,
      });
    }
    const planned = {
      files: plan.dataOff.length + plan.dataNs.length,
      bytes: [...plan.dataOff, ...plan.dataNs].reduce((n, i) => n + i.size, 0),
      deletes: plan.deletions.length,
      entries: plan.entryOps.length,
      metas: plan.metaOps.length,
    };
    await this.roomForBatch();
    const plannedMs = deps.clock.nowMs();
    stats.pend(planned.files, planned.bytes, planned.deletes, planned.entries, planned.metas);
    deps.onBatch?.(stats);
    const { rest, entryFailures } = await deps.runner.start(plan, deps.signal);
    stats.entriesApplied(planned.entries);
    // Known now, not only when the batch's data is done: a live turn files them in the ledger
    // before it moves its entry-ops position past this batch (changelog-turn.ts).
    for (const p of entryFailures) if (p.gfid !== undefined) this.problems.set(p.gfid, p);
    for (const gfid of plan.unresolved) {
      this.problems.set(gfid, {
        gfid,
        path: displayPath(plan.paths.get(gfid) ?? Buffer.from(gfid)),
        code: PROBLEM.RECORDER_BEHIND,
        message: 'the entry moved before it could be synced; it is synced again from where it is now',
      });
    }
    for (const gfid of plan.blocked) {
      this.problems.set(gfid, {
        gfid,
        path: displayPath(plan.paths.get(gfid) ?? deps.index.pathOf(gfid) ?? Buffer.from(gfid)),
        code: PROBLEM.DELETE_HELD,
        message:
          'it would replace an entry whose delete the mass-delete brake holds on the slave; it is synced after georep release',
      });
    }
    const confirmed = rest.then(
      (outcome) => {
        for (const g of outcome.delivered) this.delivered.add(g);
        for (const p of [...outcome.failures, ...outcome.vanished]) {
          if (p.gfid !== undefined) this.problems.set(p.gfid, p);
          else this.lostBatches++;
        }
        stats.settle(planned, outcome);
        deps.onBatchDone?.((deps.clock.nowMs() - plannedMs) / 1000, outcome);
        this.saveStats();
        deps.onBatch?.(stats);
        return outcome.failures.length === 0;
      },
      (e: unknown) => {
        this.lostBatches++;
        if (deps.signal?.aborted !== true) {
          // Counted as a failure: a one-shot sync must not exit 0, a hybrid crawl runs again.
          const message = `the batch did not finish (${e instanceof Error ? e.message : String(e)}); it is synced again`;
          stats.addFailures([{ path: file, code: e instanceof GeorepError ? e.code : 'BATCH_LOST', message }]);
          deps.log.warn(message, { batch: file });
        }
        throw e;
      },
    );
    this.inFlight.add(confirmed);
    const forget = (): void => void this.inFlight.delete(confirmed);
    confirmed.then(forget, forget);
    this.batches.push(confirmed.catch(() => false));
  }

  /** Waits until fewer than MAX_BATCHES_IN_FLIGHT batches are still moving data. */
  private async roomForBatch(): Promise<void> {
    while (this.inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
  }

  private saveStats(): void {
    this.deps.stats.save(this.deps.statsFile, this.deps.clock.nowMs());
  }
}

/** The crawl saw nothing confirmed on the slave for any entry of a batch (see ClassifyOptions.unconfirmed). */
function nothingConfirmed(seen: ReadonlyMap<Gfid, Seen>): boolean {
  for (const s of seen.values()) if (s.synced !== null) return false;
  return true;
}
