// runOneshot: one full xsync crawl of the master into the slave, through the same pipeline
// the live daemon uses (crawl → XSYNC-CHANGELOG → process_change → entry ops, Syncer, meta).

import fs from 'node:fs';
import path from 'node:path';
import { RECORDER_KEYS } from '../changelog/recorder/recorder.js';
import { systemClock } from '../clock.js';
import { forgetEntryOpsApplied } from '../store/index.js';
import type { SqliteGfidIndex } from '../store/index.js';
import { preloadLogger } from '../log.js';
import type { Logger } from '../log.js';
import type { ItemProblem, SentCounts } from './batch-runner.js';
import { buildMaster, choiceFromConfig } from './builder.js';
import { DeleteBrake } from './delete-brake.js';
import type { Master } from './builder.js';
import type { CrawlStats } from './crawl-stats.js';
import { MOVED_SINCE, retryLedger } from './oneshot-ledger.js';
import { SessionLock } from './session-lock.js';
import { endReverify } from './reverify.js';
import {
  checkMaster,
  dropStartedSlave,
  decideFullCrawl,
  forgetSlaveNames,
  slaveWentBack,
  greet,
  openSessionIndex,
  startSlave,
  prepareSessionDirs,
  sessionDeps,
} from './session-setup.js';
import { seedRunOf } from './seeding.js';
import { prefetchDirs } from './dir-prefetch.js';
import type { SessionRunOptions, SlaveConnection } from './session-setup.js';
import { PROBLEM } from '../problem-codes.js';
import { SESSION_FILES } from '../session-files.js';

export interface Progress {
  readonly phase: 'crawl' | 'sync' | 'done';
  readonly entriesScanned: number;
  readonly filesTotal: number;
  readonly filesDone: number;
  readonly bytesTotal: number;
  readonly bytesDone: number;
}

export interface OneshotOptions extends SessionRunOptions {
  readonly onProgress?: (p: Progress) => void;
  readonly signal?: AbortSignal;
  /**
   * Deletes go to the slave even when they are a mass delete (delete-brake.ts). Without it such
   * a run deletes nothing and fails with MASS_DELETE.
   */
  readonly allowMassDelete?: boolean;
}

export type { ItemProblem };

export interface OneshotReport extends SentCounts {
  /** Entries the seed copy made and the slave adopted as they were (an empty local slave). */
  readonly entriesSeeded: number;
  /** Entries deliberately not replicated (sockets; devices when not root), with the reason. */
  readonly skipped: readonly ItemProblem[];
  /** Entries that should have landed and did not. Non-empty means the slave is not a mirror. */
  readonly failures: readonly ItemProblem[];
  readonly durationMs: number;
}

/**
 * Directories a one-shot run lists ahead while it reaches the slave, at most: what is kept of
 * each is its digest and its subdirectories' names, so this bounds the prefetch to a few MiB.
 */
const PREFETCH_MAX_DIRS = 65_536;

export async function runOneshot(opts: OneshotOptions): Promise<OneshotReport> {
  const clock = opts.clock ?? systemClock;
  const started = clock.nowMs();
  checkMaster(opts.masterRoot);
  const lock = SessionLock.acquire(opts.sessionDir);
  const connecting = startSlave(opts, opts.signal);
  let index: SqliteGfidIndex;
  try {
    index = openSessionIndex(opts.sessionDir, opts.log, clock);
  } catch (e) {
    await dropStartedSlave(connecting);
    lock.release();
    throw e;
  }
  const skipped: ItemProblem[] = [];
  let conn: SlaveConnection | undefined;
  let master: Master | undefined;
  try {
    forgetLiveHistory(index, opts.sessionDir, opts.log);
    master = new (buildMaster(choiceFromConfig(opts.config)))();
    const recover = opts.config.specialSyncMode === 'recover';
    const knownSlave = index.getMeta('slaveId');
    // While the slave is reached: a run after an earlier sync lists the master ahead of its crawl.
    const prefetching = new AbortController();
    const prefetch =
      !recover && knownSlave !== undefined && index.count() > 0
        ? prefetchDirs(Buffer.from(opts.masterRoot), prefetching.signal, PREFETCH_MAX_DIRS, clock.nowMs())
        : undefined;
    // The walk listed ahead is often done before a remote agent answers: the logger's load
    // (written to at the end, after the agent's answer) fits in that wait.
    let answered = false;
    void prefetch?.then(
      () => {
        if (!answered) preloadLogger(opts.log, 'info');
      },
      () => undefined, // its own await below reports a failure
    );
    let hello: Awaited<ReturnType<typeof greet>>;
    try {
      conn = await connecting;
      hello = await greet(conn.client, master.rebindsForeignSlave(), opts, clock);
      answered = true;
    } finally {
      prefetching.abort(); // what it listed by now is used; the crawl lists the rest
    }
    const slave = conn.client;
    // Before decideFullCrawl records the slave: an interrupted forget is asked again next time.
    if (knownSlave === undefined || slaveWentBack(index, hello.slaveId, hello.stimeMs))
      await forgetSlaveNames(slave, index, opts.log, opts.signal);
    const fullCrawl = decideFullCrawl(index, hello.slaveId, recover, opts.log, hello.stimeMs);
    const listedAhead = await prefetch;
    const dirs = prepareSessionDirs(opts.sessionDir);
    // A dead agent stops the run as a user's stop does: nothing in flight can land any more.
    const stop = opts.signal === undefined ? slave.died : AbortSignal.any([opts.signal, slave.died]);
    const report = (phase: Progress['phase'], s: CrawlStats): void => opts.onProgress?.(progressOf(phase, s));
    const seed = seedRunOf(opts, { slave, remote: conn.remote, signal: stop, index }, master.rsyncCarriesXattrs());
    master.start({
      ...sessionDeps(opts.masterRoot, { index, slave, log: opts.log, clock, dirs, hello, remote: conn.remote }),
      fullCrawl,
      ownsNames: true,
      brake: new DeleteBrake(opts.config, {
        rootPath: opts.masterRoot,
        index,
        held: index.heldDeletes(),
        log: opts.log,
        clock,
      }),
      allowMassDelete: opts.allowMassDelete === true,
      crawl: opts.config,
      syncer: opts.config,
      ...(seed === undefined ? {} : { seed }),
      ...(listedAhead === undefined ? {} : { prefetch: listedAhead }),
      onSkip: (p, reason) => {
        skipped.push({ path: p, code: PROBLEM.SKIPPED, message: reason });
        opts.log.warn(`skipped ${p}: ${reason}`);
      },
      onBatch: (s) => report('sync', s),
      signal: stop,
    });
    if (!fullCrawl) await retryLedger(master); // a full crawl sends everything anyway
    await master.run(1);
    // The pipeline takes a stop as the end of the run, and drops the batches it cut short
    // without counting them: only a user's stop may end a run that way (runTrapped says so).
    // A dead agent cut them short too, so the run failed, whatever the counts say.
    slave.died.throwIfAborted();
    // A run cut short leaves it set: the next run goes on distrusting what it did not confirm.
    if (fullCrawl && master.stats.failures.length === 0 && !stop.aborted) endReverify(index);
    await retryLedger(master, fullCrawl ? undefined : MOVED_SINCE);
    slave.died.throwIfAborted();
    report('done', master.stats);
    return reportOf(master.stats, skipped, clock.nowMs() - started);
  } catch (e) {
    // Whatever step the agent's death cut short, the death is the cause to report.
    if (conn?.client.died.aborted === true) throw conn.client.died.reason;
    throw e;
  } finally {
    await master?.stop();
    await (conn === undefined ? dropStartedSlave(connecting) : conn.close());
    index.close();
    lock.release();
  }
}

function reportOf(stats: CrawlStats, skipped: readonly ItemProblem[], durationMs: number): OneshotReport {
  const s = stats.counts;
  return {
    entryOps: s.entryOps,
    metaOps: s.metaOps,
    dataFiles: s.filesSynced,
    bytesSent: s.bytesSynced,
    deletes: s.deletes,
    entriesSeeded: s.entriesSeeded,
    skipped,
    failures: [...stats.failures],
    durationMs,
  };
}

function progressOf(phase: Progress['phase'], stats: CrawlStats): Progress {
  const s = stats.counts;
  return {
    phase,
    entriesScanned: s.entriesScanned,
    filesTotal: s.filesSynced + s.filesPending,
    filesDone: s.filesSynced,
    bytesTotal: s.bytesSynced + s.bytesPending,
    bytesDone: s.bytesSynced,
  };
}

/**
 * A one-shot sync changes names without recording them: changelogs a stopped daemon left
 * unprocessed would no longer describe the index, so they go, and the recorder's history with
 * them. The next georep start rebuilds the history and covers the gap with a hybrid crawl.
 */
function forgetLiveHistory(index: SqliteGfidIndex, sessionDir: string, log: Logger): void {
  if (index.getMeta(RECORDER_KEYS.historyStart) === undefined) return;
  log.info("forgetting the live daemon's unprocessed changelogs (the next georep start rebuilds its history)");
  index.transaction(() => {
    index.deleteMeta(RECORDER_KEYS.historyStart);
    forgetEntryOpsApplied(index);
    index.journalDrop(BigInt(Number.MAX_SAFE_INTEGER));
  });
  fs.rmSync(path.join(sessionDir, SESSION_FILES.changelogs), { recursive: true, force: true });
}
