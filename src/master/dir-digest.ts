// Directory digest: one hash over the lstat of a directory's children, so a crawl can tell a
// directory unchanged since its last clean crawl without reading one index row per child.
//
// Why it is safe to skip the rows: a digest is stored only when every child is confirmed on the
// slave with exactly the attrs the crawl listed (found so by the crawl, or checked once the
// turn's confirmations are in: GfidIndex.stageDirDigest), and the index deletes it on any later
// write to a child's name or confirmed attrs (sqlite-store.ts, DIGESTS). The hash covers each
// child's name, inode, mode (type and permissions), owner, link count, size, mtime and ctime,
// and a symlink's target.
// ctime alone moves on every change of the others, content writes included, and cannot be set
// from user space; the rest are hashed so that equality does not rest on that alone.

import { createHash } from 'node:crypto';
import type { LstatView } from '../changelog/dir-stats.js';

export interface StatedChild {
  readonly name: Buffer;
  readonly st: LstatView;
  /** A symlink's target (absent for other types). */
  readonly target?: Buffer;
}

/** Changing what is hashed changes this tag, so digests of an older layout never match. */
const LAYOUT = Buffer.from('georep-dir-digest-3\0');
const FIELDS = 8;

const TARGET_LENGTH = Buffer.alloc(4);

/** SHA-256 of the children's names and lstat, in the order given (the crawl's: by name bytes). */
export function dirDigest(children: readonly StatedChild[]): Buffer {
  const lengths = new Uint32Array(children.length);
  // Typed-array stores of bigints are several times cheaper than Buffer.writeBigInt64LE. A
  // value of 2^63 or more (an inode on some file systems) wraps, which a hash does not mind.
  const fields = new BigInt64Array(children.length * FIELDS);
  let at = 0;
  for (const [i, { name, st }] of children.entries()) {
    lengths[i] = name.length;
    fields[at++] = st.ino;
    fields[at++] = st.mode;
    fields[at++] = st.uid;
    fields[at++] = st.gid;
    fields[at++] = st.nlink;
    fields[at++] = st.size;
    fields[at++] = st.mtimeNs;
    fields[at++] = st.ctimeNs;
  }
  // The lengths make the names' concatenation unambiguous; the counts are fixed by them.
  const hash = createHash('sha256').update(LAYOUT).update(lengths);
  for (const c of children) hash.update(c.name);
  hash.update(fields);
  // Symlink targets last, each after its length (the listing order says whose it is).
  for (const c of children) {
    if (c.target === undefined) continue;
    TARGET_LENGTH.writeUInt32LE(c.target.length);
    hash.update(TARGET_LENGTH).update(c.target);
  }
  return hash.digest();
}
