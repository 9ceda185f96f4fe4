// What a live worker waits for from the recorder, which runs beside it in its own process and
// tells it things only through the session index's meta rows: that its watches are placed (a
// first sync's seed copy may then start) and that its gfid index is built (the crawl may then
// start). Both are polled: one read of a meta row each time.

import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { RECORDER_KEYS } from '../changelog/recorder/recorder.js';
import type { GfidIndex } from '../store/index.js';
import type { ChangelogConsumer } from '../changelog/consumer.js';

/**
 * How often a worker looks at what the recorder has done (one read of a meta row). The first
 * sync waits on it; polling at change-interval cost half a second on average.
 */
export const RECORDER_POLL_MS = 100;

/** A recorder process that watches the master, and since when (RECORDER_KEYS.watching). */
export interface WatchMark {
  readonly pid: number;
  readonly sinceMs: number;
}

export function parseWatchMark(value: string | undefined): WatchMark | undefined {
  const m = /^(\d+):(\d+)$/.exec(value ?? '');
  if (m === null) return undefined;
  return { pid: Number(m[1]), sinceMs: Number(m[2]) };
}

/** Whether a process with this pid exists (the recorder runs as the worker's user, on its host). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RecorderWaitDeps {
  readonly index: GfidIndex;
  readonly consumer: Pick<ChangelogConsumer, 'historyStartMs'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Tests: whether the mark's process still runs (default processAlive). */
  readonly alive?: (pid: number) => boolean;
}

/**
 * Waits until every change from now on reaches the changelogs: the index is built (the history
 * then covers everything since its start, across recorder restarts, by the start reconcile's
 * ctime check), or a running recorder's watches are all placed (its index scan, and so the
 * history it starts, comes after them). Returns the mark waited for, undefined when the history
 * already existed.
 *
 * Why a first live sync's seed copy waits: the copy takes each file as it is when read, and the
 * crawl adopts the copy when its size and mtime match the master's. A rewrite that puts size
 * and mtime back (cp -p, rsync -a, tar x) after the read is caught only if the recorder reports
 * it, and a recorder reports only what happens after its watch is placed. (The adoption has a
 * second guard, by ctime, for a recorder restarted meanwhile: seeding.ts, adoptSeeded.)
 */
export async function waitForWatch(deps: RecorderWaitDeps): Promise<WatchMark | undefined> {
  const alive = deps.alive ?? processAlive;
  let said = false;
  for (;;) {
    if (deps.consumer.historyStartMs() !== undefined) return undefined;
    // A mark left by a recorder that is gone (killed) promises nothing.
    const mark = parseWatchMark(deps.index.getMeta(RECORDER_KEYS.watching));
    if (mark !== undefined && alive(mark.pid)) return mark;
    if (!said) deps.log.info('waiting for the recorder to watch the master before the first copy');
    said = true;
    await deps.clock.sleep(RECORDER_POLL_MS, deps.signal);
  }
}

/** Waits until the recorder has built its index (its first start can take a while on a big tree). */
export async function waitForIndex(deps: RecorderWaitDeps): Promise<number> {
  let said = false;
  for (;;) {
    const start = deps.consumer.historyStartMs();
    if (start !== undefined) return start;
    if (!said) deps.log.info('waiting for the recorder to index the master');
    said = true;
    await deps.clock.sleep(RECORDER_POLL_MS, deps.signal);
  }
}
