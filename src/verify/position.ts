// The persisted position of a verify (the session folder's verify-position.json): the last
// directory whose lines were written, with the totals and open hard-link groups at that moment,
// so a verify killed half-way resumes after that directory and ends with the same totals as an
// uninterrupted one. Saved atomically, at most once a second, and removed when a verify completes.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { readJsonIfAny } from '../read-json.js';
import type { LinkGroupsState } from './links.js';
import type { Totals } from './lines.js';
import { SESSION_FILES } from '../session-files.js';

const VERSION = 1;

export interface VerifyPosition {
  readonly version: typeof VERSION;
  /** What the run compares: a resumed run must compare the same. */
  readonly checksum: boolean;
  readonly sample: number;
  readonly seed: number;
  /** encodePosition of the last directory done (crawl-position.ts). */
  readonly after: string;
  readonly totals: Totals;
  readonly links: LinkGroupsState;
  /** Time spent by the runs so far. */
  readonly elapsedMs: number;
}

export function loadPosition(sessionDir: string): VerifyPosition | undefined {
  // Unreadable as JSON: start over.
  const v = readJsonIfAny(path.join(sessionDir, SESSION_FILES.verifyPosition)) as Partial<VerifyPosition> | undefined;
  if (v === undefined) return undefined;
  if (v.version !== VERSION || typeof v.after !== 'string' || typeof v.totals !== 'object') return undefined;
  return v as VerifyPosition;
}

export function savePosition(sessionDir: string, p: Omit<VerifyPosition, 'version'>): void {
  const file = path.join(sessionDir, SESSION_FILES.verifyPosition);
  writeFileAtomic(file, JSON.stringify({ version: VERSION, ...p }) + '\n'); // IO_ERROR naming the file when it cannot
}

export function clearPosition(sessionDir: string): void {
  fs.rmSync(path.join(sessionDir, SESSION_FILES.verifyPosition), { force: true });
}
