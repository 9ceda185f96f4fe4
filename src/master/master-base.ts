// MasterBase: what every composed Master shares (gsyncd's GMasterCommon): the job table, stats,
// the crawl loop with its `turns` limit, process_change (classify → plan → apply) and sendmark.
// The five axes override the hooks below; buildMaster() wires one variant of each.
// Why this file is long: the turn loop, the batch pipeline, seeding and stime settling still
// share MasterBase's fields; giving a turn one owner (a BatchPipeline) is still to do (issue 16).

import type { Clock } from '../clock.js';
import type { CrawlConfig, SyncerConfig } from '../config.js';
import { displayPath, readChangelog } from '../changelog/index.js';
import type { ChangelogConsumer } from '../changelog/consumer.js';
import type { Gfid, SyncedAttrs } from '../changelog/index.js';
import type { GfidIndex, IndexedEntry } from '../store/index.js';
import { GeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SlaveCaller } from '../slave/index.js';
import { LIMITS } from '../slave/index.js';
import { Syncer } from '../syncer/index.js';
import type { EngineOptions, RemoteTarget, SyncEngine } from '../syncer/index.js';
import { BatchRunner } from './batch-runner.js';
import type { BatchOutcome, ItemProblem } from './batch-runner.js';
import type { Need } from './crawler.js';
import type { DeleteBrake, DeleteHold } from './delete-brake.js';
import { CrawlStats } from './crawl-stats.js';
import { recordProblems } from './failure-ledger.js';
import type { Plan } from './plan.js';
import { reverifying } from './reverify.js';
import { ChangeClassifier } from './process-change.js';
import type { Seen } from './process-change.js';
import { adoptSeeded, runSeed } from './seeding.js';
import type { SeedSettings } from './seeding.js';
import { PROBLEM } from '../problem-codes.js';

export interface MasterDeps {
  /** The master root, as given (absolute, real path) and as bytes for joining raw names. */
  readonly rootPath: string;
  readonly root: Buffer;
  readonly index: GfidIndex;
  readonly slave: SlaveCaller;
  readonly log: Logger;
  readonly clock: Clock;
  /** Where XSYNC-CHANGELOG files are written. */
  readonly xsyncDir: string;
  readonly statsFile: string;
  readonly stagingDir: string;
  readonly slaveIsRoot: boolean;
  /** The slave host, for a slave reached over ssh: engines and the seed copy send there. */
  readonly remote?: RemoteTarget;
  /** No trustworthy record of what the slave holds: send everything, purge unknown slave entries. */
  readonly fullCrawl: boolean;
  /**
   * This process assigns gfids and keeps names (one-shot sync). False in the live daemon,
   * where the recorder owns them and this process only reads them.
   */
  readonly ownsNames: boolean;
  /** The recorder's changelogs (live daemon only). */
  readonly consumer?: ChangelogConsumer;
  /** Resolves when there may be new work before the change interval is over (a changelog published). */
  readonly wake?: (signal: AbortSignal) => Promise<void>;
  /** After each live turn: the stime now (checkpoints, status). */
  readonly onTurn?: (stimeMs: number) => void;
  /** A batch was confirmed (metrics): seconds from planning to confirmation, and its ops. */
  readonly onBatchDone?: (seconds: number, outcome: BatchOutcome) => void;
  readonly crawl: CrawlConfig;
  readonly syncer: SyncerConfig;
  /** The mass-delete brake (delete-brake.ts); none in tests that do not exercise it. */
  readonly brake?: DeleteBrake;
  /** One-shot `--allow-mass-delete`: a crawl's deletes go even over the brake's limits. */
  readonly allowMassDelete?: boolean;
  /** One-shot into a local slave with seed-copy on: a full crawl first tries a seed copy. */
  readonly seed?: SeedSettings;
  readonly onSkip: (path: string, reason: string) => void;
  readonly onBatch?: (stats: CrawlStats) => void;
  readonly signal?: AbortSignal;
}

/**
 * Batches whose data may still be moving while the next one is planned: two lets the crawl and
 * entry ops of one batch overlap rsync of the previous one; more would only queue in the Syncer.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

function unwired(axis: string): never {
  throw new Error(`master built without a ${axis} mixin`);
}

export class MasterBase {
  readonly stats = new CrawlStats();
  turns = 0;
  /**
   * gfids this turn could not bring to the slave (failed, vanished mid-copy, or not yet where
   * the recorder says): a live session syncs them again from their current state (retry set).
   */
  readonly turnProblems = new Map<Gfid, ItemProblem>();
  /**
   * Batches of this turn whose outcome is unknown: the slave agent died or the worker stopped
   * while they were in flight, or a failure named no entry. What they carried is in no ledger,
   * so the changelogs they came from must be read again, never marked done.
   */
  lostBatches = 0;
  /**
   * Set while the mass-delete brake holds this turn's deletes (delete-brake.ts): batches
   * classified meanwhile keep their deletes from the slave and hand them to `hold` (before
   * anything of the batch is sent), and block entry ops that would take a held name.
   */
  deleteHold: DeleteHold | undefined;
  private failuresAtTurnStart = 0;
  /**
   * The turn's batches (gsyncd's jobtab), each true once it landed whole: settleTurn() waits for
   * them all before stime may move. A batch that threw counts as false (it recorded why itself).
   */
  private turnBatches: Promise<boolean>[] = [];
  /** The batches still moving data: the next batch waits while MAX_BATCHES_IN_FLIGHT are. */
  private readonly inFlight = new Set<Promise<boolean>>();
  /** The seed copy of this turn, if one runs: true once its copy is in the slave root. */
  private seeding: Promise<boolean> | undefined;
  private seedCopying = false;
  /** Resolves when the batch before has sent its entry ops: batches reach the slave in order. */
  private sendOrder: Promise<void> = Promise.resolve();
  /** Resolves when the batch before the previous one has sent its entry ops (see processChangelogs). */
  private classifyGate: Promise<void> = Promise.resolve();
  /** Batches handed to processChangelogs and not yet sent. */
  private batchesAhead = 0;
  // Set by start(), never in the constructor: ts-mixer runs constructors on a scratch object.
  private started: { deps: MasterDeps; syncer: Syncer; runner: BatchRunner } | undefined;

  // ---- axis hooks --------------------------------------------------------------------------
  /** Detection axis: one turn of change detection and syncing. */
  crawlTurn(): Promise<void> {
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
      ...(deps.remote === undefined ? {} : { remote: deps.remote }),
    };
    const syncer = new Syncer(
      { ...cfg, sourceRoot: deps.rootPath, stagingDir: deps.stagingDir },
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
    if (this.started === undefined) throw new GeorepError('INTERNAL', 'master used before start() (a georep bug)');
    return this.started.deps;
  }

  /** Runs `turns` turns of the crawl loop (0 = until aborted). */
  async run(turns: number): Promise<void> {
    const { signal, crawl } = this.deps;
    while (turns === 0 || this.turns < turns) {
      signal?.throwIfAborted();
      this.failuresAtTurnStart = this.stats.failureEvents;
      await this.crawlTurn();
      this.turns++;
      if (turns !== 0 && this.turns >= turns) break;
      await this.pause(crawl.changeInterval * 1000);
    }
  }

  /**
   * process_change: one changelog file, classified into a plan and applied on the slave.
   * Resolves once its entry ops are applied; its data and metadata are confirmed in the
   * background and settled by finishTurn() (the job table).
   */
  processChangelog(file: string, source: 'changelog' | 'crawl', seen?: Map<Gfid, Seen>): Promise<void> {
    // Not async: a suspended frame here would keep `seen` alive while the batch waits.
    return this.processChangelogs([{ path: file, entryOps: true }], source, seen);
  }

  /**
   * process_change over several changelog files as one batch (gsyncd's changelog-batch-size).
   * `entryOps: false` replays only a file's data and metadata (its entry ops already landed).
   */
  async processChangelogs(
    files: readonly { readonly path: string; readonly entryOps: boolean }[],
    source: 'changelog' | 'crawl',
    seen?: Map<Gfid, Seen>,
  ): Promise<void> {
    // Batches are handed over faster than they are sent while a seed copy runs (XsyncSink
    // holds them all until it ends). One is classified while the one before is sent; the others
    // wait as files. A waiting batch drops the crawl's lstat of its entries and is classified
    // from the index and a fresh lstat when its turn comes: held as plans (or as the crawl's
    // BigIntStats), a whole tree cost ~2.8 KiB of heap per entry (140 MiB at 50k files).
    const gate = this.classifyGate;
    const turn = this.sendOrder;
    let sent = (): void => undefined;
    this.classifyGate = turn;
    this.sendOrder = new Promise((resolve) => (sent = resolve));
    let mine: Map<Gfid, Seen> | undefined = this.batchesAhead >= 2 ? undefined : seen;
    seen = undefined;
    this.batchesAhead++;
    try {
      await gate;
      const classified = this.classify(files, source, mine);
      mine = undefined;
      await turn;
      await this.sendBatch(classified, files.map((f) => f.path).join(', '));
    } finally {
      this.batchesAhead--;
      sent();
    }
  }

  /** process_change's classify step over the batch's files, into one plan. */
  private classify(
    files: readonly { readonly path: string; readonly entryOps: boolean }[],
    source: 'changelog' | 'crawl',
    seen: Map<Gfid, Seen> | undefined,
  ): Plan {
    const { deps } = this;
    // The recorder renames directories in another process: paths cached for one batch only.
    if (!deps.ownsNames) deps.index.forgetCachedPaths();
    const hold = this.deleteHold;
    const common = {
      source,
      propagateDeletes: this.propagatesDeletes(),
      reverifyContent: reverifying(deps.index),
      ...(seen === undefined ? {} : { seen }),
      ...(hold === undefined ? {} : { hold }),
    };
    // One classifier per batch keeps the plan's order: each file's records are added in turn.
    const classifier = new ChangeClassifier(deps.root, deps.index, common);
    for (const f of files) {
      classifier.setEntryOps(f.entryOps);
      for (const change of readChangelog(f.path)) classifier.add(change);
    }
    const classified = classifier.plan(files.at(-1)?.path ?? '');
    // Kept before anything of the batch is sent: a crash then replays the batch, holding again.
    if (classified.held.length > 0) hold?.hold(classified.held);
    return classified;
  }

  /** Adopts what a seed copy made, then applies the batch's entry ops; data and metadata go on. */
  private async sendBatch(classified: Plan, file: string): Promise<void> {
    const { deps } = this;
    const plan = await this.adoptSeeded(classified);
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
    this.stats.pend(planned.files, planned.bytes, planned.deletes, planned.entries, planned.metas);
    deps.onBatch?.(this.stats);
    const { rest } = await this.runner().start(plan, deps.signal);
    this.stats.entriesApplied(planned.entries);
    for (const gfid of plan.unresolved) {
      this.turnProblems.set(gfid, {
        gfid,
        path: displayPath(plan.paths.get(gfid) ?? Buffer.from(gfid)),
        code: PROBLEM.RECORDER_BEHIND,
        message: 'the entry moved before it could be synced; it is synced again from where it is now',
      });
    }
    for (const gfid of plan.blocked) {
      this.turnProblems.set(gfid, {
        gfid,
        path: displayPath(plan.paths.get(gfid) ?? deps.index.pathOf(gfid) ?? Buffer.from(gfid)),
        code: PROBLEM.DELETE_HELD,
        message:
          'it would replace an entry whose delete the mass-delete brake holds on the slave; it is synced after georep release',
      });
    }
    const confirmed = rest.then(
      (outcome) => {
        for (const p of [...outcome.failures, ...outcome.vanished]) {
          if (p.gfid !== undefined) this.turnProblems.set(p.gfid, p);
          else this.lostBatches++;
        }
        this.stats.settle(planned, outcome);
        deps.onBatchDone?.((deps.clock.nowMs() - plannedMs) / 1000, outcome);
        this.saveStats();
        deps.onBatch?.(this.stats);
        return outcome.failures.length === 0;
      },
      (e: unknown) => {
        this.lostBatches++;
        if (deps.signal?.aborted !== true) {
          // Counted as a failure: a one-shot sync must not exit 0, a hybrid crawl runs again.
          const message = `the batch did not finish (${e instanceof Error ? e.message : String(e)}); it is synced again`;
          this.stats.addFailures([{ path: file, code: e instanceof GeorepError ? e.code : 'BATCH_LOST', message }]);
          deps.log.warn(message, { batch: file });
        }
        throw e;
      },
    );
    this.inFlight.add(confirmed);
    const forget = (): void => void this.inFlight.delete(confirmed);
    confirmed.then(forget, forget);
    this.turnBatches.push(confirmed.catch(() => false));
  }

  /**
   * Starts a seed copy (seeding.ts) beside the crawl. Batches processed from now on wait for it,
   * then send only what it did not make as the crawl saw it. Resolves once the copy runs (or
   * it is clear none will), so that the walk that follows does not hold it back.
   */
  startSeed(settings: SeedSettings): Promise<void> {
    const { slave, rootPath, log, signal } = this.deps;
    let started = (): void => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const seeding = runSeed(
      settings,
      {
        slave,
        sourceRoot: rootPath,
        log,
        ...(this.deps.remote === undefined ? {} : { remote: this.deps.remote }),
        ...(signal === undefined ? {} : { signal }),
      },
      started,
    );
    this.seedCopying = true;
    const over = (): void => {
      this.seedCopying = false;
      started();
    };
    seeding.then(over, over); // awaited by the batches and by seedSettled(); no unhandled rejection meanwhile
    this.seeding = seeding;
    return running;
  }

  /** A seed copy is still running: the crawl walks on and its batches queue (XsyncSink). */
  get seedRunning(): boolean {
    return this.seedCopying;
  }

  /** Waits for this turn's seed copy; true when it landed (its leftovers are then purged). */
  async seedSettled(): Promise<boolean> {
    return this.seeding === undefined ? false : await this.seeding;
  }

  private async adoptSeeded(plan: Plan): Promise<Plan> {
    if (this.seeding === undefined || !(await this.seeding)) return plan;
    const adoption = await adoptSeeded(plan, this.deps.slave, this.deps.signal);
    this.stats.entriesSeeded += adoption.adopted;
    return adoption.plan;
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

  /** Waits until fewer than MAX_BATCHES_IN_FLIGHT batches are still moving data. */
  private async roomForBatch(): Promise<void> {
    while (this.inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
  }

  /**
   * Settles the turn's jobs, runs `settled` (work that needs every batch confirmed), and only
   * when everything succeeded moves the slave's stime to `markMs`.
   */
  async finishTurn(markMs: number, settled?: () => Promise<void>): Promise<boolean> {
    const ok = await this.settleTurn();
    await settled?.();
    if (!ok || this.stats.failureEvents > this.failuresAtTurnStart) return false;
    await this.markStime(markMs);
    return true;
  }

  /**
   * The end of a live session's crawl turn (one-shot syncs use finishTurn): what did not land
   * goes into the failure ledger, then stime moves to `markMs`, so one entry that cannot land
   * never holds the session back. A batch whose outcome is unknown is in no ledger: stime
   * stays, and false tells the caller to crawl again.
   */
  async finishLedgerTurn(markMs: number, settled?: () => Promise<void>): Promise<boolean> {
    await this.settleTurn();
    await settled?.();
    if (this.lostBatches > 0) return false;
    // A full crawl reads changes of any age: its problems hold back every checkpoint.
    recordProblems(this, [], 0);
    this.stats.retryPending = this.deps.index.ledgerCount();
    await this.markStime(markMs);
    return true;
  }

  /** Waits for every batch of the turn; true when all landed (what did not is in turnProblems). */
  async settleTurn(): Promise<boolean> {
    const batches = this.turnBatches.splice(0);
    return (await Promise.all(batches)).every(Boolean);
  }

  /** Moves the slave's stime (and the session's copy) to `markMs`. */
  async markStime(markMs: number): Promise<void> {
    await this.deps.slave.call('setStime', { stimeMs: markMs }, this.deps.signal);
    this.deps.index.setMeta('stime', String(markMs));
    this.stats.lastSyncedMs = markMs;
    this.saveStats();
  }

  /** Normal purge on a full crawl: the slave drops entries in these directories it never got from us. */
  async purgeUnknown(dirs: readonly Gfid[]): Promise<void> {
    for (let start = 0; start < dirs.length; start += LIMITS.gfidsPerCall) {
      const chunk = dirs.slice(start, start + LIMITS.gfidsPerCall);
      const res = await this.deps.slave.call('purgeUnknown', { dirs: chunk }, this.deps.signal);
      this.stats.deletes += res.removed;
      const problems = res.failures.map((f) => ({ path: f.path ?? f.gfid, code: f.code, message: f.message }));
      this.stats.addFailures(problems);
      res.failures.forEach((f, i) => this.turnProblems.set(f.gfid, { ...(problems[i] as ItemProblem), gfid: f.gfid }));
    }
    this.saveStats();
  }

  saveStats(): void {
    this.stats.save(this.deps.statsFile, this.deps.clock.nowMs());
  }

  async stop(): Promise<void> {
    await this.started?.syncer.close();
  }

  private runner(): BatchRunner {
    if (this.started === undefined) throw new GeorepError('INTERNAL', 'master used before start() (a georep bug)');
    return this.started.runner;
  }
}
