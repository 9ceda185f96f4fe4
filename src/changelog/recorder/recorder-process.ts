// The recorder process body (the monitor's `recorder` child): opens the session's index, picks
// the configured watcher and runs the Recorder over the master until stopped. It exists so the
// CLI does not hold the recorder's work: which session files the recorder writes and how the
// config's watcher options reach the watcher live here, beside the Recorder.
// Invariant: the index is closed however the run ends.

import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { SESSION_FILES } from '../../session-files.js';
import type { GfidIndex } from '../../store/index.js';
import { createChangeSource } from '../watch/create-change-source.js';
import { Recorder } from './recorder.js';

/** The options the recorder process reads: its watcher's and its Recorder's. */
export type RecorderProcessConfig = Pick<
  Config,
  | 'watcher'
  | 'watcherPolling'
  | 'watcherPollInterval'
  | 'watchCookieTimeout'
  | 'changeInterval'
  | 'rolloverQuiet'
  | 'sweepPublishInterval'
  | 'watchSettle'
  | 'crawlRate'
  | 'reconcileInterval'
  | 'blindWriteGap'
>;

export interface RecorderProcessOptions {
  /** Absolute, real path of the master root. */
  readonly masterRoot: string;
  /** This session's folder in the workdir (exists). */
  readonly sessionDir: string;
  readonly config: RecorderProcessConfig;
  /**
   * Opens the session's gfid index as the session's processes do (checked, quarantined when
   * corrupt: master/session-setup.ts's openSessionIndex, which this folder cannot import).
   */
  readonly openIndex: () => GfidIndex;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Called once the recorder records (its watches set and its start-up scan done). */
  readonly onRecording?: () => void;
}

export async function runRecorderProcess(opts: RecorderProcessOptions): Promise<void> {
  const { config, clock, log } = opts;
  const index = opts.openIndex();
  try {
    const changelogDir = path.join(opts.sessionDir, SESSION_FILES.changelogs);
    fs.mkdirSync(changelogDir, { recursive: true, mode: 0o700 });
    const source = createChangeSource(config.watcher, {
      root: opts.masterRoot,
      usePolling: config.watcherPolling,
      pollIntervalMs: config.watcherPollInterval,
      cookieDir: path.join(opts.sessionDir, SESSION_FILES.watchCookies),
      cookieTimeoutMs: config.watchCookieTimeout,
    });
    const recorder = new Recorder({
      rootPath: opts.masterRoot,
      root: Buffer.from(opts.masterRoot),
      index,
      changelogDir,
      source,
      clock,
      log,
      intervalMs: config.changeInterval * 1000,
      quietMs: config.rolloverQuiet,
      sweepPublishMs: config.sweepPublishInterval,
      settleMs: config.watchSettle,
      crawlRate: config.crawlRate,
      reconcileIntervalMs: config.reconcileInterval * 1000,
      blindGapMs: config.blindWriteGap * 1000,
      ...(opts.onRecording === undefined ? {} : { onRecording: opts.onRecording }),
    });
    await recorder.run(opts.signal);
  } finally {
    index.close();
  }
}
