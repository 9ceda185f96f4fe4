// The last scheduled audit of a session (audit.json in the session folder): what status and
// the metrics say about drift, and when the next audit is due after a restart. Written
// atomically at the end of each audit; no file means no audit has completed, which status
// shows as never (null), not as zero drift.

import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { readJsonIfAny } from '../read-json.js';
import { SESSION_FILES } from '../session-files.js';

const VERSION = 1;

/** One completed audit. */
export interface AuditResult {
  readonly startedMs: number;
  readonly endedMs: number;
  /** Entries compared (those the sample took). */
  readonly examined: number;
  /** Divergences not explained by a change in flight or by what georep already tracks. */
  readonly drift: number;
  /** Divergences of entries changed since the session's sync time when the audit began. */
  readonly inFlight: number;
  /** Divergences georep tracks already: the failure ledger, held deletes, ignore-deletes. */
  readonly known: number;
  readonly sample: number;
  readonly checksum: boolean;
  /** With audit-repair: drifted entries queued again and slave places cleared; else null. */
  readonly repaired: number | null;
}

export function loadAuditResult(sessionDir: string): AuditResult | undefined {
  // A torn or foreign file reads as if no audit had run.
  const read = readJsonIfAny(path.join(sessionDir, SESSION_FILES.audit));
  if (typeof read !== 'object' || read === null) return undefined;
  const v = read as Partial<AuditResult> & { version?: number };
  const nums = [v.startedMs, v.endedMs, v.examined, v.drift, v.inFlight, v.known, v.sample];
  if (v.version !== VERSION || nums.some((n) => typeof n !== 'number')) return undefined;
  return v as AuditResult;
}

export function saveAuditResult(sessionDir: string, r: AuditResult): void {
  writeFileAtomic(
    path.join(sessionDir, SESSION_FILES.audit),
    JSON.stringify({ version: VERSION, ...r }, null, 2) + '\n',
  );
}
