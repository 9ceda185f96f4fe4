// SessionStatus: what an operator reads about one session, with gsyncd's status field names
// (snake_case) so scripts written for `gluster volume geo-replication status` map directly.
// Built from the worker's live counters (over the status socket) or from the files a stopped
// daemon left (status.json, monitor.json, checkpoint.json). Invariant: nothing is guessed;
// a value the daemon does not know is null.

import type { CheckpointState } from './checkpoint.js';
import type { CrawlStatsSnapshot } from './crawl-stats.js';
import type { BrakeState } from './delete-brake.js';
import type { AuditResult } from '../verify/audit-state.js';

/** The last status the worker served, for `georep status` when the daemon is not running. */

export const WORKER_STATUSES = ['Initializing…', 'Active', 'Held', 'Passive', 'Faulty', 'Paused', 'Stopped'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

export interface SessionStatus {
  readonly master: string;
  readonly slave: string;
  readonly worker_status: WorkerStatus;
  readonly crawl_status: CrawlStatsSnapshot['crawlStatus'] | null;
  /** ISO time up to which the slave holds every change (the stime); null before the first sync. */
  readonly last_synced: string | null;
  /** Entry ops, data files and metadata ops planned and not yet on the slave. */
  readonly entry: number;
  readonly data: number;
  readonly meta: number;
  readonly deletes_pending: number;
  readonly bytes_pending: number;
  readonly files_synced: number;
  readonly bytes_synced: number;
  /** Entries that did not land and are kept in the failure ledger until a retry does (georep failures). */
  readonly failures: number;
  /** The same ledger items, retried each on its own with backoff. */
  readonly retry_pending: number;
  readonly checkpoint_time: string | null;
  readonly checkpoint_completed: boolean;
  readonly checkpoint_completion_time: string | null;
  /** Changelogs published and not yet done, and their bytes. */
  readonly backlog_changelogs: number;
  readonly backlog_bytes: number;
  /** Changelog bytes processed per second over the last minute; null before there is a rate. */
  readonly backlog_rate_bytes_per_second: number | null;
  /** Seconds until the backlog is processed at that rate (0 with no backlog); null when unknown. */
  readonly eta_seconds: number | null;
  readonly uptime_seconds: number | null;
  /**
   * Faulty: why. While the daemon runs, the worker's last error and how many times in a row it
   * exited without completing a turn; for a stopped session, why it stopped for good. Else null.
   */
  readonly fault: string | null;
  /** Worker exits in a row without a completed turn, from the running monitor; null when none runs. */
  readonly restarts: number | null;
  /**
   * Held: why the mass-delete brake holds every delete (one line), until `georep release`;
   * null while it does not. The worker syncs everything else meanwhile.
   */
  readonly held: string | null;
  /** Deletes the brake holds back from the slave. */
  readonly deletes_held: number;
  /**
   * Entries the last scheduled audit (audit-interval) found different on the slave, beyond
   * changes still on their way and what the failure ledger tracks; null when no audit has
   * completed (never 0 for "not looked").
   */
  readonly drift: number | null;
  /** When the last audit ended (ISO); null: never. */
  readonly audit_time: string | null;
  /** Entries the last audit compared. */
  readonly audit_examined: number | null;
  /** Divergences the last audit left out because the entry changed since the last sync. */
  readonly audit_in_flight: number | null;
  /** With audit-repair: entries the last audit queued again or cleared; else null. */
  readonly audit_repaired: number | null;
}

export interface StatusParts {
  readonly master: string;
  readonly slave: string;
  readonly workerStatus: WorkerStatus;
  readonly stats: CrawlStatsSnapshot | undefined;
  readonly stimeMs: number | undefined;
  readonly checkpoint: CheckpointState | undefined;
  readonly backlog: { readonly files: number; readonly bytes: number };
  /** Changelog bytes processed per second, recently (undefined: no rate yet). */
  readonly rate?: number;
  readonly startedMs: number | undefined;
  readonly fault: string | undefined;
  /** From the monitor (monitor.json); the worker itself does not know it. */
  readonly restarts?: number;
  readonly nowMs: number;
  /** Items in the failure ledger (live sessions); else the distinct failures of the last run. */
  readonly ledger?: number;
  /** The mass-delete brake, when engaged (delete-brake.ts). */
  readonly brake?: BrakeState | undefined;
  /** The last completed scheduled audit (audit-state.ts). */
  readonly audit?: AuditResult | undefined;
}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();

export function buildStatus(p: StatusParts): SessionStatus {
  const s = p.stats;
  // Held says more than Active (or Initializing…): deletes stop, nothing else does.
  const held = p.brake !== undefined && (p.workerStatus === 'Active' || p.workerStatus === 'Initializing…');
  return {
    master: p.master,
    slave: p.slave,
    worker_status: held ? 'Held' : p.workerStatus,
    crawl_status: s?.crawlStatus ?? null,
    last_synced: iso(p.stimeMs),
    entry: s?.entryPending ?? 0,
    data: s?.filesPending ?? 0,
    meta: s?.metaPending ?? 0,
    deletes_pending: s?.deletesPending ?? 0,
    bytes_pending: s?.bytesPending ?? 0,
    files_synced: s?.filesSynced ?? 0,
    bytes_synced: s?.bytesSynced ?? 0,
    failures: p.ledger ?? s?.failures.length ?? 0,
    retry_pending: p.ledger ?? s?.retryPending ?? 0,
    checkpoint_time: iso(p.checkpoint?.targetMs),
    checkpoint_completed: p.checkpoint?.completedMs !== null && p.checkpoint?.completedMs !== undefined,
    checkpoint_completion_time: iso(p.checkpoint?.completedMs),
    backlog_changelogs: p.backlog.files,
    backlog_bytes: p.backlog.bytes,
    backlog_rate_bytes_per_second: p.rate === undefined ? null : Math.round(p.rate),
    eta_seconds:
      p.backlog.bytes === 0 ? 0 : p.rate === undefined || p.rate <= 0 ? null : Math.ceil(p.backlog.bytes / p.rate),
    uptime_seconds: p.startedMs === undefined ? null : Math.max(0, Math.round((p.nowMs - p.startedMs) / 1000)),
    fault: p.fault ?? null,
    restarts: p.restarts ?? null,
    held: p.brake?.cause ?? null,
    deletes_held: p.brake?.held ?? 0,
    drift: p.audit?.drift ?? null,
    audit_time: iso(p.audit?.endedMs),
    audit_examined: p.audit?.examined ?? null,
    audit_in_flight: p.audit?.inFlight ?? null,
    audit_repaired: p.audit?.repaired ?? null,
  };
}

/** The status socket's text answer, after gsyncd's checkpoint service. */
export function socketText(s: SessionStatus): string {
  const cp =
    s.checkpoint_time === null
      ? 'checkpoint none set'
      : s.checkpoint_completed
        ? `checkpoint ${s.checkpoint_time} completed at ${s.checkpoint_completion_time ?? '?'}`
        : `checkpoint ${s.checkpoint_time} not reached yet`;
  const fields =
    `Uptime=${s.uptime_seconds ?? 0};FilesSyncd=${s.files_synced};FilesPending=${s.data};` +
    `BytesPending=${s.bytes_pending};DeletesPending=${s.deletes_pending};DeletesHeld=${s.deletes_held}`;
  return `${cp}\n${fields}\n`;
}
