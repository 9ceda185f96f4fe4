// Atomic save for CLI state files: src/atomic-file.ts (temp + fsync + rename + fsync dir),
// with failures turned into a GeorepError IO_ERROR naming the file. A reader or a crash sees
// the old content or the new, never a torn file.

import { writeFileAtomic as replaceFile } from '../atomic-file.js';
import { GeorepError } from '../errors.js';

export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  try {
    replaceFile(path, data, mode);
  } catch (e) {
    throw new GeorepError('IO_ERROR', `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      path,
      cause: e,
    });
  }
}
