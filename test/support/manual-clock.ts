// ManualClock: a Clock that moves only when told; sleep() resolves once advance() passes its time.
// Rate limits and backoff are tested with it instead of real sleeps.

import type { Clock } from '../../src/clock.js';

export class ManualClock implements Clock {
  private now: number;
  private readonly sleepers: { until: number; resolve: () => void }[] = [];
  /** Every sleep requested, in ms, for assertions. */
  readonly slept: number[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    // Auto-advance: the code under test is single-flow, so time jumps to the wake-up point.
    this.now += ms;
    return Promise.resolve();
  }

  advance(ms: number): void {
    this.now += ms;
    for (const s of this.sleepers.filter((x) => x.until <= this.now)) s.resolve();
  }
}
