// Atomic file replace: write a temp file in the same folder, fsync it, rename it over the
// target, fsync the folder. A reader (or a crash) sees the old content or the new, never a mix.
// A failure is an IO_ERROR naming the file (its errno kept), not a bare system error.

import fs from 'node:fs';
import path from 'node:path';
import { GeorepError } from './errors.js';

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  try {
    replaceFile(file, data, mode);
  } catch (e) {
    throw new GeorepError('IO_ERROR', `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`, {
      path: file,
      cause: e,
    });
  }
}

function replaceFile(file: string, data: string | Buffer, mode: number): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}
