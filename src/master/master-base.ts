// MasterBase: what every composed Master shares (gsyncd's GMasterCommon): the axis hooks, the
// session's stats, the crawl loop with its `turns` limit, and stime settling at a turn's end.
// The five axes override the hooks below; buildMaster() wires one variant of each. A turn's
// batches belong to its BatchPipeline (batch-pipeline.ts): newTurn() makes one, the crawl
// mixin feeds it and settles it, and crawlTurn() returns its TurnResult.

import type { SyncedAttrs } from '../changelog/index.js';
import { writeStime } from '../store/index.js';
import type { IndexedEntry } from '../store/index.js';
import { GeorepError } from '../errors.js';
import { Syncer } from '../syncer/index.js';
import type { EngineOptions, SyncEngine } from '../syncer/index.js';
import { BatchPipeline } from './batch-pipeline.js';
import type { TurnResult } from './batch-pipeline.js';
import { BatchRunner } from './batch-runner.js';
import type { Need } from './crawler.js';
import { CrawlStats } from './crawl-stats.js';
import { recordProblems } from './failure-ledger.js';
import type { MasterDeps } from './master-deps.js';
import type { SeedStep } from './seeding.js';

function unwired(axis: string): never {
  throw new Error(`master built without a ${axis} mixin`);
}

export class MasterBase {
  readonly stats = new CrawlStats();
  turns = 0;
  /** What the last turn run() completed achieved (live.ts: did the hybrid crawl lose a batch?). */
  private last: TurnResult | undefined;
  // Set by start(), never in the constructor: ts-mixer runs constructors on a scratch object.
  private started: { deps: MasterDeps; syncer: Syncer; runner: BatchRunner } | undefined;

  // ---- axis hooks --------------------------------------------------------------------------
  /** Detection axis: one turn of change detection and syncing, through a pipeline of newTurn(). */
  crawlTurn(): Promise<TurnResult> {
    return unwired('change-detection');
  }
  /** Mode axis: what an indexed entry needs, given its attrs now. */
  classifyEntry(row: IndexedEntry, now: SyncedAttrs): Need {
    void row;
    void now;
    return unwired('sync-mode');
  }
  /** Mode axis: may a slave bound to another master volume be taken over? */
  rebindsForeignSlave(): boolean {
    return unwired('sync-mode');
  }
  /**
   * Mode axis: does an entry's confirmation in the index stand until it changes? When it does,
   * a crawl skips directories unchanged since their last clean crawl (dir-digest.ts).
   */
  trustsConfirmations(): boolean {
    return unwired('sync-mode');
  }
  /** Mode axis: on a full crawl, remove slave entries the master never had? */
  purgesUnknown(): boolean {
    return unwired('sync-mode');
  }
  /** Sendmark axis: rsync also carries xattrs (-X)? */
  rsyncCarriesXattrs(): boolean {
    return unwired('sendmark');
  }
  /** Purge axis: do deletions on the master reach the slave? */
  propagatesDeletes(): boolean {
    return unwired('purge');
  }
  /** Engine axis: the SyncEngine the Syncer drives. */
  createEngine(cfg: EngineOptions): SyncEngine {
    void cfg;
    return unwired('engine');
  }

  // ---- common ------------------------------------------------------------------------------
  start(deps: MasterDeps): void {
    const cfg: EngineOptions = {
      ...deps.syncer,
      useRsyncXattrs: this.rsyncCarriesXattrs(),
      slaveIsRoot: deps.slaveIsRoot,
      ...(deps.remote === undefined ? {} : { remote: deps.remote }),
    };
    const syncer = new Syncer(
      // A run that owns the names (a one-shot) has no recorder to see a write during a copy.
      { ...cfg, sourceRoot: deps.rootPath, stagingDir: deps.stagingDir, checkSettled: deps.ownsNames },
      { slave: deps.slave, engine: this.createEngine(cfg), log: deps.log },
    );
    const runner = new BatchRunner({
      slave: deps.slave,
      syncer,
      index: deps.index,
      log: deps.log,
      ownsNames: deps.ownsNames,
    });
    this.started = { deps, syncer, runner };
    // A stop (Ctrl-C, SIGTERM) ends running transfers at once (their process groups are killed)
    // and every queued item as ABORTED, so the batches in flight settle and the turn unwinds.
    deps.signal?.addEventListener('abort', () => void syncer.close(deps.signal), { once: true });
  }

  get deps(): MasterDeps {
    return this.need().deps;
  }

  /** The last turn run() completed; undefined before one has. */
  get lastTurn(): TurnResult | undefined {
    return this.last;
  }

  /**
   * A pipeline for one turn's batches. Every turn gets its own, so nothing of one turn (its
   * problems, lost batches, hold) leaks into the next. `seed`: only the first sync's crawl.
   */
  newTurn(seed?: SeedStep): BatchPipeline {
    const { deps, runner } = this.need();
    return new BatchPipeline({ ...deps, runner, stats: this.stats, propagateDeletes: this.propagatesDeletes() }, seed);
  }

  /** Runs `turns` turns of the crawl loop (0 = until aborted). */
  async run(turns: number): Promise<void> {
    const { signal, crawl } = this.deps;
    while (turns === 0 || this.turns < turns) {
      signal?.throwIfAborted();
      this.last = await this.crawlTurn();
      this.turns++;
      if (turns !== 0 && this.turns >= turns) break;
      await this.pause(crawl.changeInterval * 1000);
    }
  }

  /** Sleeps between turns: the change interval, or less when `wake` says there is work. */
  private async pause(ms: number): Promise<void> {
    const { wake, clock, signal } = this.deps;
    if (wake === undefined) return clock.sleep(ms, signal);
    const done = new AbortController();
    const either = signal === undefined ? done.signal : AbortSignal.any([signal, done.signal]);
    try {
      await Promise.race([clock.sleep(ms, either), wake(either)]);
    } catch (e) {
      if (signal?.aborted === true || !done.signal.aborted) throw e;
    } finally {
      done.abort();
    }
  }

  /**
   * The end of a one-shot sync's crawl turn: settles the turn (running `settled`, work that
   * needs every batch confirmed), and only when everything succeeded moves the slave's stime
   * to `stimeMs`.
   */
  async finishTurn(turn: BatchPipeline, stimeMs: number, settled?: () => Promise<void>): Promise<TurnResult> {
    const result = await turn.settle(settled);
    if (result.allLanded && result.failures === 0) await this.markStime(stimeMs);
    return result;
  }

  /**
   * The end of a live session's crawl turn: what did not land goes into the failure ledger,
   * then stime moves to `stimeMs`, so one entry that cannot land never holds the session back.
   * A batch whose outcome is unknown is in no ledger: stime stays, and the result's
   * lostBatches tells the caller to crawl again.
   */
  async finishLedgerTurn(turn: BatchPipeline, stimeMs: number, settled?: () => Promise<void>): Promise<TurnResult> {
    const result = await turn.settle(settled);
    if (result.lostBatches > 0) return result;
    // A full crawl reads changes of any age: its problems hold back every checkpoint.
    recordProblems(this.deps, result.problems, [], 0);
    this.countLedger();
    await this.markStime(stimeMs);
    return result;
  }

  /**
   * Moves stime (store/sync-points.ts) to `stimeMs`: the slave's copy first, durably, then the
   * session's, so the session never claims more than the slave holds.
   */
  async markStime(stimeMs: number): Promise<void> {
    await this.deps.slave.call('setStime', { stimeMs }, this.deps.signal);
    writeStime(this.deps.index, stimeMs);
    this.stats.lastSyncedMs = stimeMs;
    this.saveStats();
  }

  /** The counters learn what the failure ledger holds now (after a turn recorded its problems). */
  countLedger(): void {
    this.stats.counts.retryPending = this.deps.index.ledgerCount();
  }

  /** Changelog bytes a live turn has processed (for the backlog rate and ETA in status). */
  changelogsDone(bytes: number): void {
    this.stats.changelogBytesDone += bytes;
  }

  saveStats(): void {
    this.stats.save(this.deps.statsFile, this.deps.clock.nowMs());
  }

  async stop(): Promise<void> {
    await this.started?.syncer.close();
  }

  private need(): { deps: MasterDeps; syncer: Syncer; runner: BatchRunner } {
    if (this.started === undefined) throw new GeorepError('INTERNAL', 'master used before start() (a georep bug)');
    return this.started;
  }
}
