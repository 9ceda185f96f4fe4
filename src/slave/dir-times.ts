// keepDirTimes: the agent's own housekeeping (creating .georep, purging unknown entries) must
// not show on the replica, so a directory's atime/mtime are put back after it, to the nanosecond.

import type { AtFs } from './fs-at.js';
import { timespecOf } from './timespec.js';

const SELF = Buffer.alloc(0);

/** Runs `fn`, then puts back the times directory `dirFd` had before it, if `fn` moved its mtime. */
export function keepDirTimes<T>(fs: AtFs, dirFd: number, fn: () => T): T {
  const before = fs.stat(dirFd, SELF);
  const result = fn();
  const after = fs.stat(dirFd, SELF);
  if (after.mtimeNs !== before.mtimeNs) fs.utimes(dirFd, SELF, timespecOf(before.atimeNs), timespecOf(before.mtimeNs));
  return result;
}
