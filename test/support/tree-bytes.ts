// Byte-exact path helpers for test trees: names are Buffers (any bytes but '/' and NUL), and
// timestamps are set to the nanosecond with GNU touch, since Node's utimes goes through a
// double and cannot hit an exact nanosecond.

import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A path relative to a tree root: a string (UTF-8) or raw bytes. */
export type RelPath = string | Buffer;

const SLASH = Buffer.from('/');

export const toBytes = (p: RelPath): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

/** Joins path parts with '/', byte-exactly. */
export function joinBytes(...parts: readonly RelPath[]): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    const b = toBytes(part);
    if (b.length === 0) continue;
    if (out.length > 0) out.push(SLASH);
    out.push(b);
  }
  return Buffer.concat(out);
}

/** Splits a path into (parent, last name), byte-exactly. */
export function splitBytes(p: Buffer): { readonly dir: Buffer; readonly name: Buffer } {
  const i = p.lastIndexOf(0x2f);
  return i < 0 ? { dir: Buffer.from('.'), name: p } : { dir: p.subarray(0, i === 0 ? 1 : i), name: p.subarray(i + 1) };
}

/**
 * A printable, unambiguous form of a path: printable ASCII stays, a backslash doubles, every
 * other byte (control, non-ASCII, invalid UTF-8) becomes \xNN — so NFC and NFD differ visibly.
 */
export function displayPath(p: RelPath): string {
  let s = '';
  for (const byte of toBytes(p)) {
    if (byte === 0x5c) s += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) s += String.fromCharCode(byte);
    else s += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** The bytes of a path in displayPath's form (its inverse). */
export function pathOfDisplay(shown: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < shown.length; i++) {
    const c = shown.charCodeAt(i);
    if (c === 0x5c && shown[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else if (c === 0x5c && shown[i + 1] === 'x') {
      out.push(parseInt(shown.slice(i + 2, i + 4), 16));
      i += 3;
    } else out.push(c);
  }
  return Buffer.from(out);
}

/** True when the bytes survive a round trip through a JS string (argv is UTF-8). */
const isArgvSafe = (b: Buffer): boolean => Buffer.from(b.toString('utf8'), 'utf8').equals(b);

export interface NsTime {
  readonly sec: number;
  readonly nsec: number;
}

export const nsOf = (t: NsTime): bigint => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
export const timeOfNs = (ns: bigint): NsTime => ({
  sec: Number(ns / 1_000_000_000n),
  nsec: Number(ns % 1_000_000_000n),
});

const stamp = (t: NsTime): string => `@${t.sec}.${String(t.nsec).padStart(9, '0')}`;

/**
 * Sets atime+mtime (or only atime) of `p` exactly, without following a final symlink. Bytes
 * that cannot travel in argv (non-UTF-8) are routed around: a non-UTF-8 parent through a
 * temporary symlink alias, a non-UTF-8 name by renaming it to an ASCII name and back — which
 * bumps the parent's mtime, so set parents after their children.
 */
export function setTimesNs(p: Buffer, t: NsTime, which: 'both' | 'atime' = 'both'): void {
  const touch = (arg: string): void => {
    execFileSync('touch', [...(which === 'atime' ? ['-h', '-a'] : ['-h']), '-d', stamp(t), arg]);
  };
  if (isArgvSafe(p)) return touch(p.toString('utf8'));
  const { dir, name } = splitBytes(p);
  let alias: string | undefined;
  if (!isArgvSafe(dir)) {
    alias = path.join(os.tmpdir(), `georep-touch-alias-${randomBytes(8).toString('hex')}`);
    fs.symlinkSync(dir[0] === 0x2f ? dir : joinBytes(process.cwd(), dir), alias);
  }
  const dirArg = alias ?? dir.toString('utf8');
  try {
    if (isArgvSafe(name)) return touch(`${dirArg}/${name.toString('utf8')}`);
    const tmpName = `.ts-tmp-${randomBytes(8).toString('hex')}`;
    fs.renameSync(p, joinBytes(dir, tmpName));
    try {
      touch(`${dirArg}/${tmpName}`);
    } finally {
      fs.renameSync(joinBytes(dir, tmpName), p);
    }
  } finally {
    if (alias !== undefined) fs.unlinkSync(alias);
  }
}

/** Copies atime and mtime (to the ns) from `from` onto `to`; neither symlink is followed. */
export function copyTimesNs(from: Buffer, to: Buffer): void {
  const st = fs.lstatSync(from, { bigint: true });
  setTimesNs(to, timeOfNs(st.atimeNs), 'atime');
  setTimesNs(to, timeOfNs(st.mtimeNs));
}

/** Runs mkfifo (argv-safe names only: the tree builders keep FIFO names ASCII). */
export function makeFifo(p: Buffer, mode = 0o644): void {
  if (!isArgvSafe(p)) throw new Error(`makeFifo: ${displayPath(p)} is not argv-safe`);
  execFileSync('mkfifo', ['-m', mode.toString(8), p.toString('utf8')]);
}

/**
 * A seeded, fast pseudo-random byte stream: AES-128-CTR over zeros, keyed by sha256(seed).
 * Gigabytes per second, deterministic for a seed, and no per-byte JS loop.
 */
export class SeededBytes {
  private readonly cipher: ReturnType<typeof createCipheriv>;
  constructor(seed: number | string) {
    const key = createHash('sha256').update(`georep-test-seed:${seed}`).digest();
    this.cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  }
  next(n: number): Buffer {
    return this.cipher.update(Buffer.alloc(n));
  }
}

/** A small seeded PRNG (mulberry32) for choices: sizes, directories, names. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Writes `size` bytes taken from `pool` (cycling, starting at `offset`) to a new file. */
export function writeFromPool(p: Buffer, size: number, pool: Buffer, offset: number, mode = 0o644): void {
  const fd = fs.openSync(p, 'w', mode);
  try {
    let done = 0;
    let at = offset % pool.length;
    while (done < size) {
      const n = Math.min(size - done, pool.length - at);
      fs.writeSync(fd, pool, at, n);
      done += n;
      at = 0;
    }
  } finally {
    fs.closeSync(fd);
  }
}
