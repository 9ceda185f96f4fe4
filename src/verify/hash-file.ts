// Content digests for verify --checksum: SHA-256 of a regular file, read through one reused
// buffer (memory does not grow with the file). A file is opened without following a symlink and
// without blocking on a FIFO, and must still be a regular file once open. The master opens its
// files by path (hashFile); the slave agent opens them relative to a confined directory
// descriptor and hands the descriptor here (hashFd).

import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { errnoOf } from '../errors.js';
import type { HashResult } from '../slave/protocol.js';

const CHUNK = 1 << 20;
/** Flags to open a file for hashing: read-only, never through a symlink, never waiting on a FIFO. */
export const HASH_OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
let buffer: Buffer | undefined;

/** The error a failed open is reported as: a symlink in the file's place is no regular file. */
export const openError = (errno: string): HashResult => ({ error: errno === 'ELOOP' ? 'NOT_FILE' : errno });

/** The SHA-256 of the regular file at `abs`, or why it could not be read (errno name, NOT_FILE). */
export function hashFile(abs: Buffer): HashResult {
  let fd: number;
  try {
    fd = openSync(abs, HASH_OPEN_FLAGS);
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === undefined) throw e;
    return openError(errno);
  }
  try {
    return hashFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** The SHA-256 of the open file `fd` (the caller closes it); NOT_FILE unless a regular file. */
export function hashFd(fd: number): HashResult {
  try {
    if (!fstatSync(fd).isFile()) return { error: 'NOT_FILE' };
    buffer ??= Buffer.allocUnsafe(CHUNK);
    const hash = createHash('sha256');
    for (let n = readSync(fd, buffer, 0, CHUNK, null); n > 0; n = readSync(fd, buffer, 0, CHUNK, null))
      hash.update(buffer.subarray(0, n));
    return { sha256: hash.digest('hex') };
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === undefined) throw e;
    return { error: errno };
  }
}
