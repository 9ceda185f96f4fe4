// Atomic file replace: write a temp file in the same folder, fsync it, rename it over the
// target, fsync the folder. A reader (or a crash) sees the old content or the new, never a mix.
// A failure is an IO_ERROR naming the file (its errno kept), not a bare system error.
// writeFileReplace is the same without the fsyncs, for views rewritten at every turn (status,
// stats): see there.

import fs from 'node:fs';
import path from 'node:path';
import { GeorepError } from './errors.js';

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  replaceOrThrow(file, data, mode, true);
}

/**
 * Replaces `file` by rename, without waiting for the disk: for views of state kept durably
 * elsewhere (stime in SQLite) that a live session rewrites at every turn. A reader still sees
 * the old content or the new, never a mix; after a power loss the file may be an older one, or
 * empty on a filesystem that does not flush a replace by rename, and readers take an empty or
 * torn file as none (read-json.ts). Two fsyncs a turn cost an idle session about 20 ms of disk
 * wait a second here, and wear a disk for nothing.
 */
export function writeFileReplace(file: string, data: string | Buffer, mode = 0o600): void {
  replaceOrThrow(file, data, mode, false);
}

function replaceOrThrow(file: string, data: string | Buffer, mode: number, durable: boolean): void {
  try {
    replaceFile(file, data, mode, durable);
  } catch (e) {
    throw new GeorepError('IO_ERROR', `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`, {
      path: file,
      cause: e,
    });
  }
}

function replaceFile(file: string, data: string | Buffer, mode: number, durable: boolean): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (!durable) return;
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}
