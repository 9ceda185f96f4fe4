// Pid file: where a running monitor records its pid. Invariant: the file is replaced
// atomically (temp + fsync + rename, mode 0600), so a reader sees a whole pid or no file, and
// a pid whose process is gone is reported as stale rather than trusted.

import fs from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import { GeorepError, hasErrno } from '../errors.js';

const PID_FILE_MODE = 0o600;
/** Linux PID_MAX_LIMIT (2^22): no pid can be larger, so a bigger number is not a pid. */
const MAX_PID = 4_194_304;
const DECIMAL = 10;

/** Writes `pid` (default: this process) to `file`, replacing any previous content atomically. */
export function writePidFile(file: string, pid: number = process.pid): void {
  if (!isPid(pid)) throw new Error(`not a pid: ${pid}`);
  writeFileAtomic(file, `${pid}\n`, PID_FILE_MODE); // IO_ERROR naming the file when it cannot
}

/**
 * The pid recorded in `file`, or undefined when there is no file. Content that is not a pid
 * is STATE_CORRUPT: since writes are atomic it was not left by a crash, and guessing could make
 * us signal pid 0 or a negative pid, which means a whole process group.
 */
export function readPidFile(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return undefined;
    throw new GeorepError('IO_ERROR', `cannot read pid file ${file}: ${messageOf(e)}`, { path: file, cause: e });
  }
  const trimmed = text.trim();
  const pid = /^\d+$/.test(trimmed) ? Number.parseInt(trimmed, DECIMAL) : Number.NaN;
  if (!isPid(pid)) {
    throw new GeorepError(
      'STATE_CORRUPT',
      `pid file ${file} does not hold a pid (${JSON.stringify(trimmed.slice(0, 40))}); remove it if no georep monitor runs`,
      { path: file },
    );
  }
  return pid;
}

/**
 * The pid in `file` if that process is alive; undefined when there is no file or its process
 * is gone (a stale file left by a crash). EPERM means the process exists but belongs to another
 * user, so it counts as alive. Pid reuse can make a stale file look live; callers that must be
 * sure compare more than the pid.
 */
export function readLivePid(file: string): number | undefined {
  const pid = readPidFile(file);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/**
 * Removes `file`. With `onlyPid`, removes it only while it still names that pid, so a monitor
 * shutting down does not delete the file of a successor that already replaced it.
 */
export function removePidFile(file: string, onlyPid?: number): void {
  if (onlyPid !== undefined && readPidFile(file) !== onlyPid) return;
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return;
    throw new GeorepError('IO_ERROR', `cannot remove pid file ${file}: ${messageOf(e)}`, { path: file, cause: e });
  }
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  // kill(0 or -n, 0) would probe a process group and could answer true for the wrong reason.
  if (!isPid(pid)) throw new Error(`not a pid: ${pid}`);
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (hasErrno(e, 'ESRCH')) return false;
    if (hasErrno(e, 'EPERM')) return true;
    throw e;
  }
  return !isZombie(pid);
}

/**
 * A process that exited but was not reaped yet still answers kill(pid, 0). A detached monitor
 * outlives the `georep start` that spawned it, so its parent is whatever adopts orphans, and
 * not every init reaps promptly (containers): on Linux, /proc tells a zombie apart.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc (not Linux) or gone this instant: kill(0) is all we know
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so read after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

function isPid(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && n <= MAX_PID;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
