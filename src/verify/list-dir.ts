// Directory listing for verify, the same on both sides (the master reads its tree here, the
// slave agent its own for listDir): names sorted by raw bytes, so the two listings of a
// directory can be merged in one pass, and each entry as lstat reports it (nothing followed).

import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { EntryKind } from '../slave/protocol.js';
import { entryTypeOf } from '../changelog/entry-stat.js';

/** One directory entry as verify compares it. */
export interface Listed {
  readonly name: Buffer;
  readonly kind: EntryKind;
  /** Full st_mode (type and permission bits). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly nlink: number;
  readonly ino: bigint;
  readonly rdev: number;
  /** A symlink's target bytes. */
  readonly target?: Buffer;
}

const SLASH = Buffer.from('/');

/** The names in `absDir`, sorted bytewise (the order both sides merge in). */
export function sortedNames(absDir: Buffer): Buffer[] {
  return readdirSync(absDir, { encoding: 'buffer' }).sort(Buffer.compare);
}

/** `absDir/name` as bytes. */
export function childPath(absDir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([absDir, SLASH, name]);
}

/** What lstat says of `absDir/name`; undefined when it is gone (removed since the listing). */
export function statChild(absDir: Buffer, name: Buffer): Listed | undefined {
  const abs = childPath(absDir, name);
  const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return undefined;
  const kind = entryTypeOf(st);
  const entry: Listed = {
    name,
    kind,
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    nlink: Number(st.nlink),
    ino: st.ino,
    rdev: Number(st.rdev),
  };
  if (kind !== 'symlink') return entry;
  return { ...entry, target: readlinkSync(abs, { encoding: 'buffer' }) };
}
