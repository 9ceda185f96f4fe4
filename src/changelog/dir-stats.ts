// dirStats: a directory's names with each entry's lstat, in one native call per directory
// (native/georep_fs.c, lstatdir). The recorder's reconcile walks every name of the master this
// way: with node:fs each name costs a path built from its parts, an lstat through that whole
// path and a BigIntStats of 18 BigInts, which made the walk and the garbage it leaves most of a
// restart's reconcile (bench/README.md, "Where s3b's time goes"). Here the kernel resolves each
// name against the directory's descriptor, and a PackedStat reads its fields out of one shared
// array when asked. Without the addon (not built on this host) the same answer comes from
// node:fs: the master needs the addon for speed only, never for safety.

import fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { hasErrno } from '../errors.js';
import { tryLoadAddon } from '../native-addon.js';
import { joinRel } from './rel-path.js';

/** What the walks read of an entry's lstat: BigIntStats has it, and so has PackedStat. */
export type LstatView = Pick<
  BigIntStats,
  | 'dev'
  | 'ino'
  | 'mode'
  | 'nlink'
  | 'uid'
  | 'gid'
  | 'rdev'
  | 'size'
  | 'blocks'
  | 'mtimeNs'
  | 'ctimeNs'
  | 'birthtimeNs'
  | 'atimeNs'
  | 'isFile'
  | 'isDirectory'
  | 'isSymbolicLink'
  | 'isFIFO'
  | 'isSocket'
  | 'isCharacterDevice'
  | 'isBlockDevice'
>;

/** One directory entry: its name, and its lstat (none when it went between listing and lstat). */
export interface StatEntry {
  readonly name: Buffer;
  readonly st: LstatView | undefined;
}

/** Slots per entry in lstatdir's array, and where each field is (native/georep_fs.c, pack_statx). */
const FIELDS = 18;
const enum Slot {
  dev = 0,
  ino,
  mode,
  nlink,
  uid,
  gid,
  rdev,
  size,
  blocks,
  atimeSec,
  atimeNsec,
  mtimeSec,
  mtimeNsec,
  ctimeSec,
  ctimeNsec,
  blksize,
  btimeSec,
  btimeNsec,
}
const S_IFMT = 0o170000;
const NS = 1_000_000_000n;

/** Fields read as they are, in slot order from 0 (dev … blocks). */
const PLAIN = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blocks'] as const;
/** Times, from their seconds slot and the nanoseconds slot after it. */
const TIMES = [
  ['atimeNs', Slot.atimeSec],
  ['mtimeNs', Slot.mtimeSec],
  ['ctimeNs', Slot.ctimeSec],
  ['birthtimeNs', Slot.btimeSec],
] as const;
/** The type tests, by their S_IFMT bits. */
const KINDS = [
  ['isFile', 0o100000],
  ['isDirectory', 0o040000],
  ['isSymbolicLink', 0o120000],
  ['isFIFO', 0o010000],
  ['isSocket', 0o140000],
  ['isCharacterDevice', 0o020000],
  ['isBlockDevice', 0o060000],
] as const;

/**
 * One entry of an lstatdir answer, read out field by field as asked: no BigInt is made before a
 * field is read. Its getters and type tests are defined once on the prototype from the tables
 * above (one table row per field instead of one method each).
 */
interface PackedStat extends LstatView {}
class PackedStat {
  constructor(
    readonly slots: BigInt64Array,
    readonly at: number,
  ) {}
}
PLAIN.forEach((field, slot) =>
  Object.defineProperty(PackedStat.prototype, field, {
    get(this: PackedStat): bigint {
      return this.slots[this.at + slot] as bigint; // at + slot is within the array by construction
    },
  }),
);
for (const [field, sec] of TIMES) {
  Object.defineProperty(PackedStat.prototype, field, {
    get(this: PackedStat): bigint {
      return (this.slots[this.at + sec] as bigint) * NS + (this.slots[this.at + sec + 1] as bigint);
    },
  });
}
for (const [test, bits] of KINDS) {
  Object.defineProperty(PackedStat.prototype, test, {
    value(this: PackedStat): boolean {
      return (Number(this.slots[this.at + Slot.mode]) & S_IFMT) === bits;
    },
  });
}

interface LstatDirAddon {
  /** [every name end to end, where each ends, LSTATDIR_FIELDS slots per entry], or -errno. */
  lstatdir(path: Buffer): [Buffer, Uint32Array, BigInt64Array] | number;
  /** [the subdirectories' names end to end, where each ends], or -errno (absent from an older build). */
  subdirs?: (path: Buffer) => [Buffer, Uint32Array] | number;
}

const isLstatDirAddon = (m: unknown): m is LstatDirAddon =>
  typeof (m as Partial<LstatDirAddon> | undefined)?.lstatdir === 'function';

let addon: LstatDirAddon | null | undefined;
function nativeLstatDir(): LstatDirAddon | null {
  if (addon === undefined) {
    const m = tryLoadAddon();
    addon = isLstatDirAddon(m) ? m : null;
  }
  return addon;
}

/** A Node-style system error for -errno from `syscall` on `abs`, as node:fs would throw. */
function sysError(ret: number, syscall: string, abs: Buffer): Error {
  const code = getSystemErrorName(ret);
  return Object.assign(new Error(`${code}: ${syscall} '${abs.toString()}'`), { code, errno: ret, syscall });
}

/**
 * The entries of directory `abs` with their lstat, in directory order; undefined when the
 * directory is gone or is no longer one (removed while we looked). Any other failure throws, as node:fs
 * would. `useAddon` false takes the node:fs path (tests hold the two to one answer).
 */
export function dirStats(abs: Buffer, useAddon = true): StatEntry[] | undefined {
  const native = useAddon ? nativeLstatDir() : null;
  if (native === null) return dirStatsByNodeFs(abs);
  const r = native.lstatdir(abs);
  if (typeof r === 'number') {
    const err = sysError(r, 'opendir', abs);
    // ELOOP: a symlink now stands at the directory's name (opened O_NOFOLLOW); its parent's listing shows it.
    if (hasErrno(err, 'ENOENT', 'ENOTDIR', 'ELOOP')) return undefined;
    throw err;
  }
  const [text, ends, a] = r;
  const out: StatEntry[] = new Array<StatEntry>(ends.length);
  for (let i = 0, from = 0; i < ends.length; i++) {
    const at = i * FIELDS;
    const to = ends[i] as number; // ends and a have one entry per name
    const name = text.subarray(from, to);
    from = to;
    const mode = a[at + Slot.mode] as bigint;
    if (mode !== 0n) out[i] = { name, st: new PackedStat(a, at) };
    else {
      const err = sysError(Number(a[at + Slot.ino]), 'lstat', joinRel(abs, name));
      if (!hasErrno(err, 'ENOENT', 'ENOTDIR')) throw err;
      out[i] = { name, st: undefined };
    }
  }
  return out;
}

/**
 * The names of the subdirectories of directory `abs` (not symlinks to one), in directory order;
 * undefined when it is gone or no longer a directory. Any other failure throws. One native call
 * where the addon is built: the recorder's watch walk lists every directory of the master at each
 * start, and node:fs makes an object per entry to find the few that are directories.
 */
export function subdirNames(abs: Buffer, useAddon = true): Buffer[] | undefined {
  const native = useAddon ? nativeLstatDir()?.subdirs : undefined;
  if (typeof native !== 'function') return subdirNamesByNodeFs(abs);
  const r = native(abs);
  if (typeof r === 'number') {
    const err = sysError(r, 'opendir', abs);
    if (hasErrno(err, 'ENOENT', 'ENOTDIR', 'ELOOP')) return undefined;
    throw err;
  }
  const [text, ends] = r;
  const out: Buffer[] = new Array<Buffer>(ends.length);
  for (let i = 0, from = 0; i < ends.length; i++) {
    const to = ends[i] as number;
    out[i] = text.subarray(from, to);
    from = to;
  }
  return out;
}

function subdirNamesByNodeFs(abs: Buffer): Buffer[] | undefined {
  try {
    return fs
      .readdirSync(abs, { encoding: 'buffer', withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
    throw e;
  }
}

function dirStatsByNodeFs(abs: Buffer): StatEntry[] | undefined {
  let names: Buffer[];
  try {
    names = fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
    throw e;
  }
  return names.map((name) => {
    try {
      return { name, st: fs.lstatSync(joinRel(abs, name), { bigint: true }) };
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return { name, st: undefined };
      throw e;
    }
  });
}
