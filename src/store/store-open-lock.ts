// Open lock of a shared store: the processes that share the session index (the daemon's recorder
// and worker, started together) open, check and, when it is corrupt, quarantine it one at a time.
// Invariant: no process moves the file aside while another one is between its open and its
// check of the same file, so two of them never quarantine twice (the second would move the
// fresh file the first just made). A lock whose owner is gone is taken over.

import fs from 'node:fs';
import { GeorepError, hasErrno } from '../errors.js';

const POLL_MS = 20;
/** Longer than any open and quick_check of a big index takes. */
const WAIT_MS = 120_000;

/** Runs `fn` while holding `<path>.open-lock`. Synchronous, as opening a store is. */
export function withOpenLock<T>(path: string, fn: () => T, waitMs = WAIT_MS): T {
  const file = `${path}.open-lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if (!hasErrno(e, 'EEXIST')) throw e;
    }
    const owner = ownerOf(file);
    if (owner === undefined || !alive(owner)) {
      fs.rmSync(file, { force: true }); // its owner died while opening: stale
      continue;
    }
    if (Date.now() >= deadline)
      throw new GeorepError(
        'SESSION_BUSY',
        `process ${owner} has held ${file} for over ${waitMs / 1000} s; remove the file if that process is not georep`,
        { path: file },
      );
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, POLL_MS);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The pid in the lock; undefined when the lock is gone, or stale (empty for over a second). */
function ownerOf(file: string): number | undefined {
  let text: string;
  let ageMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    ageMs = Date.now() - fs.statSync(file).mtimeMs;
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  const pid = Number.parseInt(text, 10);
  if (Number.isInteger(pid) && pid > 0) return pid;
  // Created and written in one call: empty only between the two, or after a crash there.
  return ageMs < 1000 ? process.pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !hasErrno(e, 'ESRCH');
  }
}
