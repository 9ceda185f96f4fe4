// Directory listing for verify, the same on both sides (the master reads its tree here, the
// slave agent its own for listDir): names sorted by raw bytes, so the two listings of a
// directory can be merged in one pass, and each entry as lstat reports it (nothing followed).

import { readlinkSync } from 'node:fs';
import type { ListedEntry } from '../slave/protocol.js';
import { entryTypeOf } from '../changelog/entry-stat.js';
import { dirStats } from '../changelog/dir-stats.js';
import type { LstatView } from '../changelog/dir-stats.js';

/** One directory entry as verify compares it (slave/listed-pack.ts: a slave page unpacks to the same). */
export type Listed = ListedEntry;

const SLASH = Buffer.from('/');

/** `absDir/name` as bytes. */
export function childPath(absDir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([absDir, SLASH, name]);
}

/** One named entry of a listing, as lstat says it (undefined: gone since the listing). */
export interface NamedEntry {
  readonly name: Buffer;
  readonly entry: Listed | undefined;
}

/**
 * The entries of `absDir` sorted bytewise (the order both sides merge in), each as lstat says
 * it, in one native call for the directory (changelog/dir-stats.ts); undefined when the
 * directory is gone.
 */
export function listEntries(absDir: Buffer): NamedEntry[] | undefined {
  const all = dirStats(absDir);
  if (all === undefined) return undefined;
  all.sort((a, b) => Buffer.compare(a.name, b.name));
  return all.map(({ name, st }) => ({ name, entry: st === undefined ? undefined : listedOf(absDir, name, st) }));
}

function listedOf(absDir: Buffer, name: Buffer, st: LstatView): Listed {
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
  return { ...entry, target: readlinkSync(childPath(absDir, name), { encoding: 'buffer' }) };
}
