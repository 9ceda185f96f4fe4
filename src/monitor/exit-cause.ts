// Exit cause: why a supervised child last exited, left in the session folder as
// `<role>-exit.json` by the child itself, so the monitor can say it in one line (monitor.json,
// georep status). Invariant: the monitor uses a file only for the pid that wrote it; without
// one (SIGKILL, a crash before the catch) the cause is how the process ended.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { errnoOf, isGeorepError } from '../errors.js';
import type { ChildExit } from './supervisor.js';
import { exitCauseName } from '../session-files.js';

/** What `<role>-exit.json` holds. */
export interface ExitCause {
  readonly pid: number;
  /** GeorepError code or errno name; null for other errors. */
  readonly code: string | null;
  readonly message: string;
  readonly timeMs: number;
}

/** Longest cause shown in monitor.json and georep status: one line, not a stack or a log. */
const CAUSE_CHARS = 300;

export function exitCauseFile(sessionDir: string, role: string): string {
  return path.join(sessionDir, exitCauseName(role));
}

/** Called by the child as it fails; `error` is what ends it, `pid` the child's own. */
export function writeExitCause(
  sessionDir: string,
  role: string,
  error: unknown,
  timeMs: number,
  pid: number = process.pid,
): void {
  const cause: ExitCause = {
    pid,
    code: isGeorepError(error) ? error.code : (errnoOf(error) ?? null),
    message: error instanceof Error ? error.message : String(error),
    timeMs,
  };
  writeFileAtomic(exitCauseFile(sessionDir, role), JSON.stringify(cause) + '\n');
}

/** The cause `exit`'s process wrote, if it wrote one. */
export function readExitCause(sessionDir: string, exit: ChildExit): ExitCause | undefined {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(exitCauseFile(sessionDir, exit.name), 'utf8'));
  } catch {
    // None written (SIGKILL, a crash outside the catch), or unreadable: the monitor, which
    // catches everything, then says how the process ended instead of stopping over it.
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<Record<keyof ExitCause, unknown>>;
  if (r.pid !== exit.pid || typeof r.message !== 'string') return undefined;
  return {
    pid: exit.pid,
    code: typeof r.code === 'string' ? r.code : null,
    message: r.message,
    timeMs: typeof r.timeMs === 'number' ? r.timeMs : 0,
  };
}

/** One line saying why `exit` happened: the child's own message, else its exit code or signal. */
export function describeExit(exit: ChildExit, cause: ExitCause | undefined): string {
  const how =
    exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code === null ? '?' : exit.code}`;
  if (cause === undefined) return `${exit.name} ${how}`;
  const line = cause.message.replace(/\s+/g, ' ').trim();
  return line.length <= CAUSE_CHARS ? line : `${line.slice(0, CAUSE_CHARS - 1)}…`;
}
