// Listed entries on the wire (protocol.ts ListedEntry) and back: names and targets escaped with
// the name codec, mtime as seconds and nanoseconds, the inode as a decimal string.

import { escapeName, unescapeName } from '../changelog/index.js';
import type { ListedEntry } from '../slave/protocol.js';
import { nsOf, timespecOf } from '../slave/timespec.js';
import type { Listed } from './list-dir.js';

/**
 * escapeName, with a fast path for the common name of printable ASCII without '%' or '/' (which
 * escapeName leaves as it is): it builds its output a character at a time, and every entry of
 * a verify is named on the wire and in a line.
 */
export function wireName(name: Buffer): string {
  for (let i = 0; i < name.length; i++) {
    const b = name[i] as number;
    if (b <= 0x20 || b >= 0x7f || b === 0x25 || b === 0x2f) return escapeName(name);
  }
  return name.toString('latin1');
}

export function toWire(e: Listed): ListedEntry {
  const out: ListedEntry = {
    name: wireName(e.name),
    kind: e.kind,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: timespecOf(e.mtimeNs),
    nlink: e.nlink,
    ino: e.ino.toString(),
    rdev: e.rdev,
  };
  return e.target === undefined ? out : { ...out, target: escapeName(e.target) };
}

/** The inverse of toWire, for a reply protocol.ts has validated. */
export function fromWire(w: ListedEntry): Listed {
  const out: Listed = {
    name: unescapeName(w.name),
    kind: w.kind,
    mode: w.mode,
    uid: w.uid,
    gid: w.gid,
    size: w.size,
    mtimeNs: nsOf(w.mtime),
    nlink: w.nlink,
    ino: BigInt(w.ino),
    rdev: w.rdev,
  };
  return w.target === undefined ? out : { ...out, target: unescapeName(w.target) };
}
