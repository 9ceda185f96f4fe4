// Confiner: keeps every slave operation inside ROOT. Invariant: a directory is used as a parent
// only after lstat showed every component from ROOT down to be a real directory (a symlink is
// never followed); verified directories are cached until anything is renamed or removed.

import { lstatSync } from 'node:fs';
import { GeorepError } from '../errors.js';
import { LIMITS, checkComponent } from './protocol.js';
import { displayPath, joinRel } from './paths.js';

/** The agent's own state directory, directly under ROOT; no entry op may touch it. */
export const RESERVED_NAME = Buffer.from('.georep');

export class Confiner {
  private readonly rootBuf: Buffer;
  /** Verified directories, keyed by their relative path in latin1 (a lossless byte mapping). */
  private readonly verified = new Set<string>();

  /** `root` must be the absolute real path of the slave root (no symlinks in it). */
  constructor(readonly root: string) {
    this.rootBuf = Buffer.from(root);
  }

  /** The absolute path of `rel`; PATH_TOO_LONG when the kernel could not take it. */
  abs(rel: Buffer): Buffer {
    if (rel.length === 0) return this.rootBuf;
    const out = Buffer.concat([this.rootBuf, Buffer.from('/'), rel]);
    // PATH_MAX counts the terminating NUL.
    if (out.length >= LIMITS.pathBytes) {
      throw new GeorepError(
        'PATH_TOO_LONG',
        `path ${displayPath(rel)} under slave root ${this.root} is over ${LIMITS.pathBytes} bytes`,
        { path: displayPath(rel) },
      );
    }
    return out;
  }

  /** Throws PATH_ESCAPES_ROOT unless each component of `dirRel` is a real directory (ENOENT if one is missing). */
  assertDir(dirRel: Buffer): void {
    if (dirRel.length === 0 || this.verified.has(dirRel.toString('latin1'))) return;
    let end = dirRel.indexOf(0x2f);
    for (;;) {
      const prefix = end < 0 ? dirRel : dirRel.subarray(0, end);
      const key = prefix.toString('latin1');
      if (!this.verified.has(key)) {
        const st = lstatSync(this.abs(prefix));
        if (!st.isDirectory()) {
          const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
          throw new GeorepError(
            'PATH_ESCAPES_ROOT',
            `${displayPath(prefix)} under slave root ${this.root} is ${what}; refusing to go through it (remove it on the slave or let the master recreate it)`,
            { path: displayPath(prefix) },
          );
        }
        this.verified.add(key);
      }
      if (end < 0) return;
      end = dirRel.indexOf(0x2f, end + 1);
    }
  }

  /** Checks `name` (and that it is not the reserved name at ROOT); returns `dirRel/name`. */
  childOf(dirRel: Buffer, name: Buffer): Buffer {
    checkComponent(name);
    if (dirRel.length === 0 && name.equals(RESERVED_NAME)) {
      throw new GeorepError(
        'BAD_NAME',
        `${RESERVED_NAME.toString()} directly under the slave root is reserved for georep's own state`,
        { path: RESERVED_NAME.toString() },
      );
    }
    return joinRel(dirRel, name);
  }

  /** Called whenever anything is renamed or removed: a verified directory may be gone or moved. */
  invalidate(): void {
    this.verified.clear();
  }
}
