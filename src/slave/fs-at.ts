// AtFs: the slave agent's filesystem calls, each relative to a directory descriptor and none
// following a symlink in the name it is given (native/georep_fs.c, built by scripts/setup.sh).
// Invariant: every failure is a Node-style system error (code 'ENOENT'…, errno, syscall), so
// OpFailure, hasErrno and the master's ledger see the same codes as from node:fs.

import { constants as osConstants } from 'node:os';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import { escapeName, typeOfMode } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import { addonFile, requireAddon } from '../native-addon.js';
import type { EntryType } from '../changelog/index.js';
import type { Timespec } from './protocol.js';

/** lstat of one entry, in the units the agent compares (times to the nanosecond). */
export interface EntryStat {
  readonly type: EntryType;
  /** Full st_mode: type bits and permission bits. */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
}

/** The addon's shape (native/georep_fs.c): each call returns >= 0, or -errno. */
interface Native {
  openat(dirfd: number, name: Buffer, flags: number, mode: number): number;
  openBeneath(dirfd: number, path: Buffer, flags: number): number;
  close(fd: number): number;
  fstatat(dirfd: number, name: Buffer, flags: number, out: BigInt64Array): number;
  mkdirat(dirfd: number, name: Buffer, mode: number): number;
  mknodat(dirfd: number, name: Buffer, mode: number, rdev: number): number;
  symlinkat(target: Buffer, dirfd: number, name: Buffer): number;
  linkat(olddirfd: number, oldname: Buffer, newdirfd: number, newname: Buffer): number;
  renameat(olddirfd: number, oldname: Buffer, newdirfd: number, newname: Buffer): number;
  unlinkat(dirfd: number, name: Buffer, flags: number): number;
  fchownat(dirfd: number, name: Buffer, uid: number, gid: number, flags: number): number;
  chmodat(dirfd: number, name: Buffer, mode: number): number;
  chmodatProc(dirfd: number, name: Buffer, mode: number): number;
  utimensat(dirfd: number, name: Buffer, as: number, ans: number, ms: number, mns: number, flags: number): number;
  readlinkat(dirfd: number, name: Buffer): Buffer | number;
  /** [every name end to end, where each ends], or -errno. */
  readdir(dirfd: number): [Buffer, Uint32Array] | number;
  /** [every name end to end, where each ends, 18 stat slots per entry (mode 0, -errno in slot 1: gone)], or -errno. */
  lstatdirat(dirfd: number): [Buffer, Uint32Array, BigInt64Array] | number;
  readonly constants: Readonly<Record<NativeConstant, number>>;
}

const NATIVE_CONSTANTS = [
  'AT_FDCWD',
  'AT_SYMLINK_NOFOLLOW',
  'AT_REMOVEDIR',
  'AT_EMPTY_PATH',
  'O_PATH',
  'O_NOFOLLOW',
  'O_DIRECTORY',
  'O_RDONLY',
  'O_WRONLY',
  'O_CREAT',
  'O_EXCL',
] as const;
type NativeConstant = (typeof NATIVE_CONSTANTS)[number];
const NATIVE_FUNCTIONS = [
  'openat',
  'openBeneath',
  'close',
  'fstatat',
  'mkdirat',
  'mknodat',
  'symlinkat',
  'linkat',
  'renameat',
  'unlinkat',
  'fchownat',
  'chmodat',
  'chmodatProc',
  'utimensat',
  'readlinkat',
  'readdir',
  'lstatdirat',
] as const;

const EMPTY = Buffer.alloc(0);
const ENOENT = -osConstants.errno.ENOENT;
const EACCES = -osConstants.errno.EACCES;
/** Owner write and search: what a change of a directory's entries needs. */
const OWNER_WX = 0o300;
/** Owner read and search: what a listing needs. */
const OWNER_RX = 0o500;
/** Owner search: what reaching a name in a directory needs. */
const OWNER_X = 0o100;

/** A Node-style system error for `-errno` from `syscall` on `name`. */
export function sysError(ret: number, syscall: string, name: Buffer): Error {
  const code = getSystemErrorName(ret);
  const text = getSystemErrorMap().get(ret)?.[1] ?? 'system error';
  const shown = name.length === 0 ? '.' : escapeName(name);
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${shown}'`), { code, errno: ret, syscall });
}

/**
 * Loads the addon. There is no fallback to node:fs: that would be the unsafe path this module
 * exists to avoid, so a missing or stale build is NATIVE_MISSING with what to run.
 */
export function loadAtFs(file = addonFile()): AtFs {
  let mod: unknown;
  try {
    mod = requireAddon(file);
  } catch (e) {
    throw nativeMissing(file, e instanceof Error ? e.message : String(e), e);
  }
  const m = mod as Partial<Native> | undefined;
  const missing = [
    ...NATIVE_FUNCTIONS.filter((f) => typeof m?.[f] !== 'function'),
    ...NATIVE_CONSTANTS.filter((c) => typeof m?.constants?.[c] !== 'number'),
  ];
  if (missing.length > 0) throw nativeMissing(file, `it lacks ${missing.join(', ')} (an old build)`);
  return new AtFs(mod as Native);
}

function nativeMissing(file: string, why: string, cause?: unknown): GeorepError {
  return new GeorepError(
    'NATIVE_MISSING',
    `the slave agent's native part ${file} cannot be loaded (${why}); build it on this host with \`npm run setup\` or \`npm run build:native\` in the georep folder (needs g++, make and python3)`,
    { path: file, cause },
  );
}

export class AtFs {
  /** Filled by each stat call; read out before the next one. */
  private readonly statBuf = new BigInt64Array(18); // native/georep_fs.c STAT_FIELDS (pack_statx)
  readonly c: Readonly<Record<NativeConstant, number>>;

  private readonly euid = process.geteuid?.() ?? 0;

  constructor(private readonly n: Native) {
    this.c = n.constants;
  }

  /** openat; O_CLOEXEC is always added. */
  open(dirfd: number, name: Buffer, flags: number, mode = 0): number {
    const open = (): number => this.n.openat(dirfd, name, flags, mode);
    const bits = (flags & this.c.O_CREAT) === 0 ? OWNER_X : OWNER_WX;
    return this.check(this.withOwnerBits(dirfd, open, bits), 'openat', name);
  }

  /**
   * Runs `op`, a change of directory dirfd's entries (raw: >= 0 or -errno). When it is refused
   * (EACCES) to an agent that is not root but owns the directory, runs it once more with owner
   * write and search given for the call, and the mode put back after, as rsync does for a
   * non-root receiver. The slave's directories take the master's modes: a directory of mode
   * 0500 refused every file committed into it later (one-shot probe, as a non-root user).
   */
  private withOwnerBits<T>(dirfd: number, op: () => T, bits = OWNER_WX): T {
    const r = op();
    // Not for a path from the working directory (AT_FDCWD): that is no directory of the slave's.
    if (r !== EACCES || this.euid === 0 || dirfd === this.c.AT_FDCWD) return r;
    const st = this.n.fstatat(dirfd, EMPTY, this.c.AT_EMPTY_PATH, this.statBuf);
    const mode = Number(this.statBuf[2]) & 0o7777;
    if (st < 0 || Number(this.statBuf[4]) !== this.euid || (mode & bits) === bits) return r;
    if (this.n.chmodat(dirfd, EMPTY, mode | bits) < 0) return r;
    try {
      return op();
    } finally {
      this.n.chmodat(dirfd, EMPTY, mode);
    }
  }

  close(fd: number): void {
    this.check(this.n.close(fd), 'close', EMPTY);
  }

  /** lstat of `name` in dirfd (dirfd itself for an empty name); undefined when it does not exist. */
  statIfAny(dirfd: number, name: Buffer): EntryStat | undefined {
    const flags = name.length === 0 ? this.c.AT_EMPTY_PATH : this.c.AT_SYMLINK_NOFOLLOW;
    const stat = (): number => this.n.fstatat(dirfd, name, flags, this.statBuf);
    const r = name.length === 0 ? stat() : this.withOwnerBits(dirfd, stat, OWNER_X);
    if (r === ENOENT) return undefined;
    this.check(r, 'fstatat', name);
    const b = this.statBuf;
    const mode = Number(b[2]);
    return {
      type: typeOfMode(mode) ?? 'socket',
      mode,
      nlink: Number(b[3]),
      uid: Number(b[4]),
      gid: Number(b[5]),
      rdev: Number(b[6]),
      dev: b[0] ?? 0n,
      ino: b[1] ?? 0n,
      size: b[7] ?? 0n,
      atimeNs: (b[9] ?? 0n) * 1_000_000_000n + (b[10] ?? 0n),
      mtimeNs: (b[11] ?? 0n) * 1_000_000_000n + (b[12] ?? 0n),
    };
  }

  stat(dirfd: number, name: Buffer): EntryStat {
    const st = this.statIfAny(dirfd, name);
    if (st === undefined) throw sysError(ENOENT, 'fstatat', name);
    return st;
  }

  mkdir(dirfd: number, name: Buffer, mode: number): void {
    this.check(
      this.withOwnerBits(dirfd, () => this.n.mkdirat(dirfd, name, mode)),
      'mkdirat',
      name,
    );
  }

  mknod(dirfd: number, name: Buffer, mode: number, rdev: number): void {
    this.check(
      this.withOwnerBits(dirfd, () => this.n.mknodat(dirfd, name, mode, rdev)),
      'mknodat',
      name,
    );
  }

  symlink(target: Buffer, dirfd: number, name: Buffer): void {
    this.check(
      this.withOwnerBits(dirfd, () => this.n.symlinkat(target, dirfd, name)),
      'symlinkat',
      name,
    );
  }

  /** A hard link; a symlink source is linked itself, never its target. */
  link(fromDir: number, fromName: Buffer, toDir: number, toName: Buffer): void {
    this.check(
      this.withOwnerBits(toDir, () => this.n.linkat(fromDir, fromName, toDir, toName)),
      'linkat',
      toName,
    );
  }

  rename(fromDir: number, fromName: Buffer, toDir: number, toName: Buffer): void {
    const rename = (): number => this.n.renameat(fromDir, fromName, toDir, toName);
    const inParents = (): number => this.withOwnerBits(toDir, () => this.withOwnerBits(fromDir, rename));
    let r = inParents();
    if (r === EACCES && this.euid !== 0 && fromDir !== toDir)
      r = this.movingDirectory(fromDir, fromName, toDir, toName, inParents);
    this.check(r, 'renameat', toName);
  }

  /**
   * A directory moved to another parent needs write permission on itself (its `..` changes).
   * One it owns without it (mode 0500, copied from the master) gets owner write for the move,
   * and its mode back at its new place. A seed copy holding such a directory at its top could
   * never be committed (review: every run failed with EACCES on renameat).
   */
  private movingDirectory(
    fromDir: number,
    fromName: Buffer,
    toDir: number,
    toName: Buffer,
    move: () => number,
  ): number {
    const st = this.n.fstatat(fromDir, fromName, this.c.AT_SYMLINK_NOFOLLOW, this.statBuf);
    const mode = Number(this.statBuf[2]);
    const perms = mode & 0o7777;
    if (st < 0 || typeOfMode(mode) !== 'dir' || Number(this.statBuf[4]) !== this.euid || (perms & 0o200) !== 0)
      return EACCES;
    if (this.n.chmodat(fromDir, fromName, perms | 0o200) < 0) return EACCES;
    const r = move();
    this.n.chmodat(r === 0 ? toDir : fromDir, r === 0 ? toName : fromName, perms);
    return r;
  }

  /** unlinkat of a non-directory; false when it was already gone. */
  unlinkIfAny(dirfd: number, name: Buffer): boolean {
    const r = this.tryUnlink(dirfd, name, 0);
    if (r === ENOENT) return false;
    this.check(r, 'unlinkat', name);
    return true;
  }

  /** unlinkat(AT_REMOVEDIR) of an empty directory. */
  rmdir(dirfd: number, name: Buffer): void {
    this.check(this.tryUnlink(dirfd, name, this.c.AT_REMOVEDIR), 'rmdir', name);
  }

  /** Raw unlinkat result for callers that branch on the errno (recursive removal): 0 or -errno. */
  tryUnlink(dirfd: number, name: Buffer, flags: number): number {
    return this.withOwnerBits(dirfd, () => this.n.unlinkat(dirfd, name, flags));
  }

  /**
   * Opens relative path `path` (several components) under dirfd in one call, refusing a symlink
   * at any component (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). Raw: a descriptor or
   * -errno; -ENOSYS where the kernel has no openat2 (the caller then walks component by component).
   */
  tryOpenBeneath(dirfd: number, path: Buffer, flags: number): number {
    return this.n.openBeneath(dirfd, path, flags);
  }

  /** Raw openat result: a descriptor, or -errno. */
  tryOpen(dirfd: number, name: Buffer, flags: number): number {
    return this.withOwnerBits(dirfd, () => this.n.openat(dirfd, name, flags, 0), OWNER_X);
  }

  /** lchown (dirfd itself for an empty name). */
  chown(dirfd: number, name: Buffer, uid: number, gid: number): void {
    const flags = name.length === 0 ? this.c.AT_EMPTY_PATH : this.c.AT_SYMLINK_NOFOLLOW;
    this.check(this.n.fchownat(dirfd, name, uid, gid, flags), 'fchownat', name);
  }

  /** chmod of the entry itself, never through a symlink (a symlink: EOPNOTSUPP, which Node names ENOTSUP). */
  chmod(dirfd: number, name: Buffer, mode: number): void {
    this.check(this.n.chmodat(dirfd, name, mode), 'chmod', name);
  }

  /** chmod's fallback for kernels before 6.6 (O_PATH and /proc/self/fd), on its own: for tests. */
  chmodViaProc(dirfd: number, name: Buffer, mode: number): void {
    this.check(this.n.chmodatProc(dirfd, name, mode), 'chmod', name);
  }

  /** Sets atime and mtime exactly (any time_t), on a symlink itself (dirfd itself for an empty name). */
  utimes(dirfd: number, name: Buffer, atime: Timespec, mtime: Timespec): void {
    const r = this.n.utimensat(dirfd, name, atime.sec, atime.nsec, mtime.sec, mtime.nsec, this.c.AT_SYMLINK_NOFOLLOW);
    this.check(r, 'utimensat', name);
  }

  readlink(dirfd: number, name: Buffer): Buffer {
    const r = this.n.readlinkat(dirfd, name);
    if (typeof r === 'number') throw sysError(r, 'readlinkat', name);
    return r;
  }

  /** The names in directory dirfd ('.' and '..' left out). */
  readdir(dirfd: number): Buffer[] {
    // A directory it owns, of mode 000 as the master's, is listed all the same (withOwnerBits).
    const r = this.withOwnerBits(dirfd, () => this.n.readdir(dirfd), OWNER_RX);
    if (typeof r === 'number') throw sysError(r, 'readdir', EMPTY);
    const [text, ends] = r;
    const names = new Array<Buffer>(ends.length);
    for (let i = 0, from = 0; i < ends.length; i++) {
      const to = ends[i] as number;
      names[i] = text.subarray(from, to);
      from = to;
    }
    return names;
  }

  /**
   * Every entry of directory dirfd with its lstat, in one native call: the names end to end, where
   * each ends, and 18 stat slots per entry (native/georep_fs.c pack_statx). An entry that went
   * between the listing and its stat has mode 0 and -errno in its ino slot.
   */
  listStats(dirfd: number): { readonly text: Buffer; readonly ends: Uint32Array; readonly slots: BigInt64Array } {
    const r = this.withOwnerBits(dirfd, () => this.n.lstatdirat(dirfd), OWNER_RX);
    if (typeof r === 'number') throw sysError(r, 'readdir', EMPTY);
    const [text, ends, slots] = r;
    return { text, ends, slots };
  }

  private check(r: number, syscall: string, name: Buffer): number {
    if (r < 0) throw sysError(r, syscall, name);
    return r;
  }
}
