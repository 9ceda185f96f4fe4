// Fault file: how a child that met an error no restart can fix tells the monitor which one.
// The child's exit status (PERMANENT_EXIT) only says "stop for good"; `fault.json` in the
// session folder carries the error's code and message, so the monitor stops with that cause
// (and its exit code) instead of a bare status. Invariant: the monitor clears it as it starts,
// so a fault it reads was written by a child of this run.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { ErrorCode } from '../errors.js';
import { DAEMON_FILES } from '../session-files.js';

/** What `fault.json` holds. */
export interface Fault {
  /** The child that wrote it (recorder, worker). */
  readonly proc: string;
  readonly code: ErrorCode;
  readonly message: string;
}

export const faultFile = (sessionDir: string): string => path.join(sessionDir, DAEMON_FILES.fault);

/** Removes the previous run's fault, if any (the monitor, as it starts). */
export function clearFault(sessionDir: string): void {
  fs.rmSync(faultFile(sessionDir), { force: true });
}

/** Written by the child just before it exits with PERMANENT_EXIT. */
export function writeFault(sessionDir: string, fault: Fault): void {
  writeFileAtomic(faultFile(sessionDir), JSON.stringify(fault) + '\n');
}

/** The fault a child left, if it left one. */
export function readFault(sessionDir: string): { code: ErrorCode; message: string } | undefined {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(faultFile(sessionDir), 'utf8'));
    if (typeof v === 'object' && v !== null && 'code' in v && 'message' in v) {
      return { code: v.code as ErrorCode, message: String(v.message) };
    }
  } catch {
    // no fault file: the child died before it could write one
  }
  return undefined;
}
