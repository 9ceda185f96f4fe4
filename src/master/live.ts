// runLive: the session worker of the live daemon (gsyncd's worker). Connects to the slave,
// then crawls in gsyncd's order: History (the changelogs published while it was down) when
// they reach back to its stime, else first a Hybrid crawl for the gap; then the live Changelog
// crawl until stopped. Names belong to the recorder: this process only reads them.

import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { ChangelogConsumer } from '../changelog/consumer.js';
import { buildMaster, choiceFromConfig } from './builder.js';
import type { DetectMode, Master } from './builder.js';
import type { MasterDeps } from './master-deps.js';
import {
  checkMaster,
  connectSlave,
  decideFullCrawl,
  forgetSlaveNames,
  slaveWentBack,
  greet,
  openSessionIndex,
  prepareSessionDirs,
  sessionDeps,
} from './session-setup.js';
import { seedRunOf } from './seeding.js';
import { waitForIndex, waitForWatch } from './recorder-wait.js';
import type { SessionRunOptions, SlaveConnection } from './session-setup.js';
import { writeFileReplace } from '../atomic-file.js';
import { GeorepError } from '../errors.js';
import { CheckpointTracker, pendingBefore, readCheckpointState } from './checkpoint.js';
import { buildStatus } from './session-status.js';
import type { SessionStatus, WorkerStatus } from './session-status.js';
import { DeleteBrake } from './delete-brake.js';
import { endReverify } from './reverify.js';
import { MetricsServer } from './metrics.js';
import { StatusService, statusSocketPath } from './status-service.js';
import { loadAuditResult, saveAuditResult } from '../verify/audit-state.js';
import type { AuditResult } from '../verify/audit-state.js';
import { AuditSchedule } from '../verify/audit-schedule.js';
import { SESSION_FILES } from '../session-files.js';
import { PublishNotifier } from './publish-notifier.js';
import { readStime } from '../store/index.js';
import { preloadSpawner } from '../syncer/index.js';

export interface LiveOptions extends SessionRunOptions {
  readonly signal: AbortSignal;
  /** The checkpoint target now configured for the session (unix ms), read afresh each turn. */
  readonly checkpointTargetMs: () => number | undefined;
  /**
   * After each completed turn (a live or history turn, or a whole hybrid crawl): the monitor's
   * evidence of progress, which ends a Faulty state (src/monitor/monitor-state.ts).
   */
  readonly onTurnCompleted?: () => void;
  /** The worker waits for a remote slave host that does not answer: it is Faulty for `cause`. */
  readonly onUnreachable?: (cause: string) => void;
}

export async function runLive(opts: LiveOptions): Promise<void> {
  const clock = opts.clock ?? systemClock;
  checkMaster(opts.masterRoot);
  const index = openSessionIndex(opts.sessionDir, opts.log, clock);
  const held = index.heldDeletes();
  const brake = new DeleteBrake(opts.config, { rootPath: opts.masterRoot, index, held, log: opts.log, clock });
  const changelogDir = path.join(opts.sessionDir, SESSION_FILES.changelogs);
  const consumer = new ChangelogConsumer(changelogDir, index);
  consumer.register();
  const notifier = new PublishNotifier(changelogDir);
  const masters: Master[] = [];
  const startedMs = clock.nowMs();
  let workerStatus: WorkerStatus = 'Initializing…';
  /** Why the worker is Faulty while it waits for the slave host (undefined: it is not). */
  let fault: string | undefined;
  const checkpointFile = path.join(opts.sessionDir, SESSION_FILES.checkpoint);
  const tracker = new CheckpointTracker(checkpointFile, opts.checkpointTargetMs, clock, opts.log);
  const rate = new RateWindow(RATE_WINDOW_MS);
  let lastAudit: AuditResult | undefined = loadAuditResult(opts.sessionDir);
  const snapshot = (): SessionStatus =>
    buildStatus({
      rate: rate.perSecond(
        clock.nowMs(),
        masters.reduce((n, m) => n + m.stats.changelogBytesDone, 0),
      ),
      master: opts.masterRoot,
      slave: opts.slaveRoot,
      workerStatus,
      stats: masters.at(-1)?.stats.snapshot(clock.nowMs()),
      stimeMs: readStime(index),
      checkpoint: readCheckpointState(checkpointFile),
      backlog: consumer.backlog(),
      startedMs,
      fault,
      nowMs: clock.nowMs(),
      ledger: index.ledgerCount(),
      brake: brake.state(),
      audit: lastAudit,
    });
  const statusFile = path.join(opts.sessionDir, SESSION_FILES.status);
  const metrics = opts.config.metricsPort > 0 ? new MetricsServer(snapshot, () => clock.nowMs()) : undefined;
  const service = new StatusService(statusSocketPath(opts.sessionDir), snapshot);
  let conn: SlaveConnection | undefined;
  try {
    // Status answers while the slave is being reached (over ssh that may take a while, or fail).
    await service.start();
    if (metrics !== undefined) {
      const port = await metrics.listen(opts.config.metricsPort, opts.config.metricsAddress);
      opts.log.info('metrics served', { url: `http://${opts.config.metricsAddress}:${port}/metrics` });
    }
    const probeMs = opts.config.reconnectProbeInterval * 1000;
    const onUnreachable = (cause: string): void => {
      workerStatus = 'Faulty';
      fault = cause;
      opts.onUnreachable?.(cause);
    };
    conn = await connectSlave(
      opts,
      opts.signal,
      probeMs > 0 ? { intervalMs: probeMs, clock, onUnreachable } : undefined,
    );
    if (fault !== undefined) {
      workerStatus = 'Initializing…';
      fault = undefined;
    }
    const slave = conn.client;
    const stop = AbortSignal.any([opts.signal, slave.died]);
    const choice = choiceFromConfig(opts.config);
    preloadSpawner(); // while the agent starts
    const hello = await greet(slave, choice.mode === 'recover', opts, clock);
    // Before decideFullCrawl records the slave: an interrupted forget is asked again next time.
    if (index.getMeta('slaveId') === undefined || slaveWentBack(index, hello.slaveId, hello.stimeMs))
      await forgetSlaveNames(slave, index, opts.log, opts.signal);
    const fullCrawl = decideFullCrawl(index, hello.slaveId, choice.mode === 'recover', opts.log, hello.stimeMs);
    const dirs = prepareSessionDirs(opts.sessionDir);
    const base: Omit<MasterDeps, 'fullCrawl'> = {
      ...sessionDeps(opts.masterRoot, { index, slave, log: opts.log, clock, dirs, hello, remote: conn.remote }),
      ownsNames: false,
      consumer,
      brake,
      wake: (signal) => notifier.next(signal),
      onBatchDone: (seconds, outcome) => metrics?.batchDone(seconds, outcome.entryOps, outcome.metaOps),
      onTurn: (stimeMs) => {
        tracker.update(stimeMs, pendingBefore(index, held));
        writeFileReplace(statusFile, JSON.stringify(snapshot(), null, 2) + '\n');
        // A turn cut short by a stop or a dead agent is no progress.
        if (!stop.aborted) opts.onTurnCompleted?.();
      },
      crawl: opts.config,
      syncer: opts.config,
      onSkip: (p, reason) => opts.log.warn(`skipped ${p}: ${reason}`),
      signal: stop,
    };
    const start = (detect: DetectMode, full = false): Master => {
      const m = new (buildMaster({ ...choice, detect }))();
      m.start({ ...base, ...(full && seed !== undefined ? { seed } : {}), fullCrawl: full });
      masters.push(m);
      return m;
    };
    // A full crawl (always hybrid) into a slave that holds nothing yet copies the tree in bulk
    // first, as a one-shot sync does (the agent refuses the seed unless the slave root is
    // empty); the crawl then adopts what the copy made as it saw it and sends the rest by gfid.
    // The copy needs no gfids, so it starts as soon as the recorder watches the master, while it
    // may still be indexing it (3 s of a 50,000-file first sync were spent waiting for the index
    // before the copy); not before the watch: see waitForWatch.
    const seed = fullCrawl
      ? seedRunOf(
          opts,
          { slave, remote: conn.remote, signal: stop, index },
          new (buildMaster({ ...choice, detect: 'xsync' }))().rsyncCarriesXattrs(),
        )
      : undefined;
    const waitDeps = { index, consumer, clock, log: opts.log, signal: stop };
    if (seed !== undefined) await waitForWatch(waitDeps);
    await seed?.start();
    const historyStart = await waitForIndex(waitDeps);
    const stimeMs = readStime(index);
    if (fullCrawl || stimeMs === undefined || !(stimeMs >= historyStart)) {
      opts.log.info('the changelogs do not reach back to the last sync: hybrid crawl first', {
        stimeMs: stimeMs ?? null,
        historyStartMs: historyStart,
      });
      const hybrid = start('xsync', fullCrawl);
      await hybrid.run(1);
      // What did not land is in the failure ledger (retried by the changelog crawl); only a
      // batch with no known outcome (the agent died mid-batch) makes the crawl run again.
      const lost = hybrid.lastTurn?.lostBatches ?? 0;
      if (lost > 0) {
        throw new GeorepError(
          'BATCH_LOST',
          `the hybrid crawl lost ${lost} batch(es) whose outcome is unknown; it runs again from the start`,
        );
      }
      if (!stop.aborted) {
        endReverify(index);
        opts.onTurnCompleted?.();
      }
    }
    await start('history').run(1);
    opts.log.info('live changelog crawl');
    workerStatus = 'Active';
    opts.log.info('worker active', { event: 'worker_status', status: workerStatus });
    // The scheduled audit runs beside the live crawl, never before it: during a hybrid or
    // history crawl nearly every difference is a change on its way.
    const auditStop = new AbortController();
    const auditing = new AuditSchedule({
      clock,
      log: opts.log,
      intervalMs: opts.config.auditInterval * 1000,
      lastEndMs: lastAudit?.endedMs,
      round: async (signal) => {
        const { runAuditRound } = await import('../verify/audit-round.js');
        return runAuditRound({ session: opts, index, held, clock, signal });
      },
      onResult: (r) => {
        lastAudit = r;
        saveAuditResult(opts.sessionDir, r);
      },
    }).run(AbortSignal.any([stop, auditStop.signal]));
    try {
      await start('changelog').run(0);
    } finally {
      auditStop.abort();
      await auditing;
    }
  } catch (e) {
    if (conn?.client.died.aborted === true) throw conn.client.died.reason;
    if (opts.signal.aborted) return;
    throw e;
  } finally {
    for (const m of masters) await m.stop();
    await service.close();
    await metrics?.close();
    notifier.close();
    await conn?.close();
    index.close();
  }
}

/** The window the backlog rate (and so the ETA) is measured over. */
const RATE_WINDOW_MS = 60_000;

/** A rate over a sliding window, from samples of a growing total. */
class RateWindow {
  private readonly samples: { t: number; total: number }[] = [];

  constructor(private readonly windowMs: number) {}

  perSecond(nowMs: number, total: number): number | undefined {
    this.samples.push({ t: nowMs, total });
    while (this.samples.length > 2 && (this.samples[1]?.t ?? nowMs) <= nowMs - this.windowMs) this.samples.shift();
    const first = this.samples[0];
    if (first === undefined || nowMs - first.t < 1000) return undefined;
    return ((total - first.total) * 1000) / (nowMs - first.t);
  }
}
