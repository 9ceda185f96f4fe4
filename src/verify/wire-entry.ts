// Listed entries on the wire (protocol.ts ListedEntry) and back: names and targets escaped with
// the name codec, mtime as seconds and nanoseconds, the inode as a decimal string.

import { escapeName, unescapeName } from '../changelog/index.js';
import type { ListedEntry, Timespec } from '../slave/protocol.js';
import type { Listed } from './list-dir.js';

const NS = 1_000_000_000n;

export function toTimespec(ns: bigint): Timespec {
  let sec = ns / NS;
  if (ns < 0n && sec * NS !== ns) sec -= 1n; // floor: nsec stays in [0, 1e9)
  return { sec: Number(sec), nsec: Number(ns - sec * NS) };
}

export const fromTimespec = (t: Timespec): bigint => BigInt(t.sec) * NS + BigInt(t.nsec);

export function toWire(e: Listed): ListedEntry {
  const out: ListedEntry = {
    name: escapeName(e.name),
    kind: e.kind,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: toTimespec(e.mtimeNs),
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
    mtimeNs: fromTimespec(w.mtime),
    nlink: w.nlink,
    ino: BigInt(w.ino),
    rdev: w.rdev,
  };
  return w.target === undefined ? out : { ...out, target: unescapeName(w.target) };
}
