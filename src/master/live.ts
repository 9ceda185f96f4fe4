// runLive: the session worker of the live daemon (gsyncd's worker). Connects to the slave,
// then crawls in gsyncd's order: History (the changelogs published while it was down) when
// they reach back to its stime, else first a Hybrid crawl for the gap; then the live Changelog
// crawl until stopped. Names belong to the recorder: this process only reads them.

import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { SqliteGfidIndex } from '../changelog/index.js';
import { ChangelogConsumer } from '../changelog/consumer.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { SlaveClient } from '../slave/index.js';
import { buildMaster, choiceFromConfig } from './builder.js';
import type { DetectMode, Master } from './builder.js';
import type { MasterDeps } from './master-base.js';
import { checkMaster, decideFullCrawl, greet, prepareSessionDirs } from './session-setup.js';

export interface LiveOptions {
  readonly masterRoot: string;
  readonly slaveRoot: string;
  readonly sessionDir: string;
  readonly config: Config;
  readonly agentCommand: readonly string[];
  readonly log: Logger;
  readonly clock?: Clock;
  readonly signal: AbortSignal;
}

export const CHANGELOG_DIR = 'changelogs';

export async function runLive(opts: LiveOptions): Promise<void> {
  const clock = opts.clock ?? systemClock;
  checkMaster(opts.masterRoot);
  const index = SqliteGfidIndex.open(path.join(opts.sessionDir, 'index.db'));
  const changelogDir = path.join(opts.sessionDir, CHANGELOG_DIR);
  const consumer = new ChangelogConsumer(changelogDir, index);
  consumer.register();
  const notifier = new PublishNotifier(changelogDir);
  const slave = SlaveClient.spawn([...opts.agentCommand, opts.slaveRoot], opts.log);
  const stop = AbortSignal.any([opts.signal, slave.died]);
  const masters: Master[] = [];
  try {
    const choice = choiceFromConfig(opts.config);
    const hello = await greet(slave, choice.mode === 'recover', opts, clock);
    const fullCrawl = decideFullCrawl(index, hello.slaveId, choice.mode === 'recover', opts.log);
    const dirs = prepareSessionDirs(opts.sessionDir);
    const base: Omit<MasterDeps, 'fullCrawl'> = {
      rootPath: opts.masterRoot,
      root: Buffer.from(opts.masterRoot),
      index,
      slave,
      log: opts.log,
      clock,
      xsyncDir: dirs.xsync,
      statsFile: dirs.stats,
      stagingDir: hello.stagingDir,
      slaveIsRoot: hello.isRoot,
      ownsNames: false,
      consumer,
      wake: (signal) => notifier.next(signal),
      crawl: opts.config,
      syncer: opts.config,
      onSkip: (p, reason) => opts.log.warn(`skipped ${p}: ${reason}`),
      signal: stop,
    };
    const start = (detect: DetectMode, full = false): Master => {
      const m = new (buildMaster({ ...choice, detect }))();
      m.start({ ...base, fullCrawl: full });
      masters.push(m);
      return m;
    };
    const historyStart = await waitForRecorder(consumer, clock, opts, stop);
    const stime = Number(index.getMeta('stime') ?? Number.NaN);
    if (fullCrawl || !(stime >= historyStart)) {
      opts.log.info('the changelogs do not reach back to the last sync: hybrid crawl first', {
        stimeMs: Number.isNaN(stime) ? null : stime,
        historyStartMs: historyStart,
      });
      const hybrid = start('xsync', fullCrawl);
      await hybrid.run(1);
      if (hybrid.stats.failures.length > 0) {
        throw new Error(`hybrid crawl left ${hybrid.stats.failures.length} failures; restarting it`);
      }
    }
    await start('history').run(1);
    opts.log.info('live changelog crawl');
    await start('changelog').run(0);
  } catch (e) {
    if (slave.died.aborted) throw slave.died.reason;
    if (opts.signal.aborted) return;
    throw e;
  } finally {
    for (const m of masters) await m.stop();
    notifier.close();
    await slave.close();
    index.close();
  }
}

/** Waits until the recorder has built its index (its first start can take a while on a big tree). */
async function waitForRecorder(
  consumer: ChangelogConsumer,
  clock: Clock,
  opts: LiveOptions,
  signal: AbortSignal,
): Promise<number> {
  let said = false;
  for (;;) {
    const start = consumer.historyStartMs();
    if (start !== undefined) return start;
    if (!said) opts.log.info('waiting for the recorder to index the master');
    said = true;
    await clock.sleep(opts.config.changeInterval * 1000, signal);
  }
}

/**
 * Wakes the worker when the recorder publishes a changelog, so a change waits for one rollover
 * and not also for the worker's next turn. One inotify watch on the changelog directory.
 */
class PublishNotifier {
  private readonly watcher: fs.FSWatcher;
  private waiters: (() => void)[] = [];

  constructor(dir: string) {
    this.watcher = fs.watch(dir, { persistent: false }, () => this.fire());
    this.watcher.on('error', () => this.fire()); // the directory went away: the next turn will say so
  }

  next(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(done);
    });
  }

  close(): void {
    this.watcher.close();
    this.fire();
  }

  private fire(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
