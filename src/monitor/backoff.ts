// Backoff: the restart delay for one supervised child. Invariant: the delay starts at
// initialMs, doubles after each quick crash up to maxMs, and returns to initialMs once the
// child has stayed up stableMs. Pure apart from the injected clock.

import type { Clock } from '../clock.js';
import { GeorepError } from '../errors.js';

export interface BackoffConfig {
  /** First restart delay, and the delay again after a stable run. */
  readonly initialMs: number;
  /** Ceiling for the doubling. */
  readonly maxMs: number;
  /** A child that stayed up at least this long counts as healthy: its next crash restarts fast. */
  readonly stableMs: number;
}

/**
 * Defaults for callers without a config value. gsyncd restarts a Faulty worker every 10 s
 * forever; we start at 1 s (a one-off crash costs little) and cap at 60 s (a persistent
 * fault does not spin), and a minute of uptime proves the fault has cleared.
 */
export const DEFAULT_BACKOFF: BackoffConfig = Object.freeze({
  initialMs: 1_000,
  maxMs: 60_000,
  stableMs: 60_000,
});

const GROWTH_FACTOR = 2;

export class Backoff {
  private readonly cfg: BackoffConfig;
  private nextMs: number;
  private startedAtMs: number | undefined;

  constructor(
    cfg: BackoffConfig,
    private readonly clock: Pick<Clock, 'nowMs'>,
  ) {
    validateBackoffConfig(cfg);
    this.cfg = Object.freeze({ ...cfg });
    this.nextMs = cfg.initialMs;
  }

  /** Records that the child (re)started now; its uptime is measured from here. */
  started(): void {
    this.startedAtMs = this.clock.nowMs();
  }

  /**
   * The delay before restarting a child that just exited, and advances the sequence. A child
   * that ran at least stableMs since started() gets initialMs again: an old crash streak says
   * nothing about a fault that appears after a healthy run.
   */
  exited(): number {
    const upMs = this.startedAtMs === undefined ? 0 : this.clock.nowMs() - this.startedAtMs;
    this.startedAtMs = undefined;
    if (upMs >= this.cfg.stableMs) this.nextMs = this.cfg.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * GROWTH_FACTOR, this.cfg.maxMs);
    return delay;
  }

  /** The delay the next exited() will return unless the child proves stable first. */
  peek(): number {
    return this.nextMs;
  }
}

/** Throws CONFIG_INVALID naming the first bad field, so a supervisor can check before it starts anything. */
export function validateBackoffConfig(cfg: BackoffConfig): void {
  const check = (name: keyof BackoffConfig, ok: boolean, expects: string): void => {
    if (!ok) {
      throw new GeorepError('CONFIG_INVALID', `backoff ${name} expects ${expects}, got ${String(cfg[name])}`);
    }
  };
  check('initialMs', Number.isFinite(cfg.initialMs) && cfg.initialMs > 0, 'a number of milliseconds > 0');
  check('maxMs', Number.isFinite(cfg.maxMs) && cfg.maxMs >= cfg.initialMs, `a number of milliseconds >= initialMs`);
  check('stableMs', Number.isFinite(cfg.stableMs) && cfg.stableMs >= 0, 'a number of milliseconds >= 0');
}
