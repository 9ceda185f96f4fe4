// AuditSchedule: when a live worker runs its scheduled audits (audit-interval). One audit at a
// time, each audit-interval after the end of the last one (so audits never overlap, and a slow
// audit on a big tree does not run back to back), the first one an interval after the live
// crawl began, or after the last audit recorded in the session when that is sooner: a worker
// that restarts does not start the schedule over, and one that keeps crashing does not audit at
// every start. A failed audit (the agent died, the slave is unreachable) is logged as an
// `audit_failed` event and tried again an interval later; it never stops the worker. Driven by
// an injected Clock, so the schedule is tested without sleeping.

import type { Clock } from '../clock.js';
import { isGeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuditResult } from './audit-state.js';

export interface AuditScheduleDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** audit-interval in ms; 0 or less: no audit ever. */
  readonly intervalMs: number;
  /** The end of the last completed audit (the session's audit.json), if any. */
  readonly lastEndMs: number | undefined;
  /** One audit. */
  readonly round: (signal: AbortSignal) => Promise<AuditResult>;
  /** After each completed audit (persist it, show it in status). */
  readonly onResult: (r: AuditResult) => void;
}

export class AuditSchedule {
  private lastEndMs: number | undefined;

  constructor(private readonly deps: AuditScheduleDeps) {
    this.lastEndMs = deps.lastEndMs;
  }

  /** Audits until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log, intervalMs } = this.deps;
    if (intervalMs <= 0) return;
    const startMs = clock.nowMs();
    // A last end in the future (the clock was set back) counts as now.
    let due = (this.lastEndMs === undefined ? startMs : Math.min(this.lastEndMs, startMs)) + intervalMs;
    for (;;) {
      try {
        const wait = due - clock.nowMs();
        if (wait > 0) await clock.sleep(wait, signal);
        signal.throwIfAborted();
      } catch {
        return; // stopped
      }
      try {
        const result = await this.deps.round(signal);
        this.deps.onResult(result);
      } catch (e) {
        if (signal.aborted) return;
        const message = e instanceof Error ? e.message : String(e);
        const code = isGeorepError(e) ? e.code : undefined;
        if (code === 'SESSION_BUSY') log.info(`audit skipped: ${message}`, { event: 'audit_skipped' });
        else
          log.warn(`audit failed: ${message}; the next one in ${Math.round(intervalMs / 1000)} s`, {
            event: 'audit_failed',
            code: code ?? null,
          });
      }
      this.lastEndMs = clock.nowMs();
      due = this.lastEndMs + intervalMs;
    }
  }
}
