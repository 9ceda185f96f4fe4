// Progress display for `sync --oneshot`: a cli-progress bar (files, bytes, ETA) on a terminal,
// otherwise a plain log line at most every PLAIN_PROGRESS_INTERVAL_MS and one at the end.
// Invariant: driven only by the onProgress callbacks and the injected clock (no timers of its own).

import cliProgress from 'cli-progress';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Progress } from '../master/index.js';
import { humanBytes, humanDuration } from './format.js';

/** Milliseconds between plain progress lines when stderr is not a terminal. */
export const PLAIN_PROGRESS_INTERVAL_MS = 5000;
const PERCENT = 100;

export interface ProgressSink {
  update(p: Progress): void;
  /** Releases the terminal; after a completed run, also draws or logs the final state. */
  finish(completed: boolean): void;
}

export interface ProgressOptions {
  /** stderr is a terminal: draw a bar. */
  readonly tty: boolean;
  readonly stream: NodeJS.WritableStream;
  readonly clock: Clock;
  readonly log: Logger;
}

export function createProgress(opts: ProgressOptions): ProgressSink {
  return opts.tty ? barProgress(opts.stream, opts.clock) : plainProgress(opts.clock, opts.log);
}

/** What a bar or line counts: bytes once there are any to send, files before that. */
function measure(p: Progress): { value: number; total: number } {
  return p.bytesTotal > 0 ? { value: p.bytesDone, total: p.bytesTotal } : { value: p.filesDone, total: p.filesTotal };
}

/**
 * The time left at the rate so far, or '…' while there is no rate yet. Our own rather than
 * cli-progress's: its estimate shows 0s before anything moved and garbage when it is infinite.
 */
export function etaText(value: number, total: number, elapsedMs: number): string {
  if (value >= total) return '0s';
  if (value <= 0 || elapsedMs <= 0) return '…';
  return humanDuration(((total - value) * elapsedMs) / value);
}

function barProgress(stream: NodeJS.WritableStream, clock: Clock): ProgressSink {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} |{bar}| {percentage}% | {files} files | {bytes} | ETA {eta_text}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let startMs = 0;
  return {
    update(p) {
      const { value, total } = measure(p);
      if (!started) startMs = clock.nowMs();
      const payload = {
        phase: p.phase === 'crawl' ? `crawl (${p.entriesScanned} entries)` : p.phase,
        files: `${p.filesDone}/${p.filesTotal}`,
        bytes: `${humanBytes(p.bytesDone)}/${humanBytes(p.bytesTotal)}`,
        eta_text: etaText(value, total, clock.nowMs() - startMs),
      };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(value, payload);
    },
    finish() {
      if (started) bar.stop();
    },
  };
}

function plainProgress(clock: Clock, log: Logger): ProgressSink {
  let last: Progress | undefined;
  let lastLineAt: number | undefined;
  let syncStartedAt: number | undefined;
  const line = (p: Progress, now: number): string => {
    if (p.phase === 'crawl') {
      return `crawl: ${p.entriesScanned} entries scanned, ${p.filesTotal} files (${humanBytes(p.bytesTotal)}) to sync so far`;
    }
    const { value, total } = measure(p);
    const pct = total === 0 ? PERCENT : Math.floor((value / total) * PERCENT);
    const elapsed = syncStartedAt === undefined ? 0 : now - syncStartedAt;
    const eta = value > 0 && value < total && elapsed > 0 ? `, ETA ${etaText(value, total, elapsed)}` : '';
    return `${p.phase}: ${p.filesDone}/${p.filesTotal} files, ${humanBytes(p.bytesDone)} of ${humanBytes(p.bytesTotal)} (${pct}%)${eta}`;
  };
  return {
    update(p) {
      const now = clock.nowMs();
      if (p.phase !== 'crawl' && syncStartedAt === undefined) syncStartedAt = now;
      last = p;
      if (lastLineAt !== undefined && now - lastLineAt < PLAIN_PROGRESS_INTERVAL_MS) return;
      lastLineAt = now;
      log.info(line(p, now));
    },
    finish(completed) {
      if (completed && last !== undefined) log.info(line({ ...last, phase: 'done' }, clock.nowMs()));
    },
  };
}
