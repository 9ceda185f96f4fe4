// Progress of a verify on a terminal: one line on stderr, redrawn at most every 200 ms, with
// entries examined, divergences, rate and an ETA from the session index's entry count (the
// walk's total is not known before it ends). Off the terminal it says nothing: --json lines
// and the summary are the record.

import type { Clock } from '../clock.js';
import { humanDuration } from '../cli/format.js';
import type { VerifyProgress } from './run.js';

const REDRAW_MS = 200;

export interface VerifyProgressSink {
  /** Something is drawn (a terminal): worth the cost of an estimate. */
  readonly live: boolean;
  update(p: VerifyProgress): void;
  finish(): void;
}

export function verifyProgress(tty: boolean, stream: NodeJS.WritableStream, clock: Clock): VerifyProgressSink {
  if (!tty) return { live: false, update: () => undefined, finish: () => undefined };
  let lastDraw = 0;
  let drawn = false;
  let firstMs: number | undefined;
  let firstExamined = 0;
  return {
    live: true,
    update(p) {
      const now = clock.nowMs();
      if (firstMs === undefined) {
        firstMs = now;
        firstExamined = p.examined;
      }
      if (now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      const secs = (now - firstMs) / 1000;
      const rate = secs > 0 ? (p.examined - firstExamined) / secs : 0;
      const left = p.expected - p.examined;
      const eta = rate > 0 && left > 0 ? `, ETA ${humanDuration((left / rate) * 1000)}` : '';
      const of = p.expected > 0 ? ` of ~${p.expected}` : '';
      stream.write(`\r\x1b[Kverify: ${p.examined}${of} entries, ${p.divergent} divergent, ${Math.round(rate)}/s${eta}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
