// The agent's side of verify (listDir, hashFiles: read-only) and of repair (dropPaths). Paths
// are the slave's own, relative to ROOT, and reached as every op reaches them (confine.ts): a
// directory descriptor walked from the root's without following a symlink, and each entry
// relative to it; .georep at ROOT is never listed nor touched.

import { closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { ROOT_GFID } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import { GeorepError, hasErrno } from '../errors.js';
import { HASH_OPEN_FLAGS, hashFd, openError } from '../verify/hash-file.js';
import { wireName } from '../verify/wire-entry.js';
import { timespecOf } from './timespec.js';
import { RESERVED_NAME } from './confine.js';
import type { SlaveContext } from './context.js';
import { keepDirTimes } from './dir-times.js';
import { sysError } from './fs-at.js';
import { EntryPacker, NATIVE_SLOTS, packedBytes } from './listed-pack.js';
import { dirOf, typeOfMode } from '../changelog/index.js';
import { LIMITS } from './protocol.js';
import { decodeDirPath, decodeName, decodePath } from './wire-names.js';
import type { DirAttrs, DropFailure, HashResult, Methods } from './protocol.js';
import { removeTree } from './remove-tree.js';
import { toWireError } from './wire.js';

type Op = 'listDir' | 'hashFiles' | 'dropPaths' | 'countPaths';
type P<M extends Op> = Methods[M]['params'];
type R<M extends Op> = Methods[M]['result'];

/** Reply bytes a page may reach before it ends early (well under LIMITS.messageBytes). */
const PAGE_BYTES = LIMITS.messageBytes / 2;
/**
 * Listings of directories being paged: the master asks up to 16 directories ahead (verify/run.ts
 * PREFETCH_DIRS), and a listing evicted before its last page is read and stat'ed again whole.
 */
const CACHED_DIRS = 16;

const NOT_FOUND: R<'listDir'> = {
  found: false,
  self: null,
  entries: { names: '', stats: '', targets: [] },
  next: null,
};
/** Where the native stat slots (native/georep_fs.c pack_statx) hold st_mode, and errno for an entry gone. */
const MODE_SLOT = 2;
const ERRNO_SLOT = 1;
const ENOENT = -osConstants.errno.ENOENT;
const SELF = Buffer.alloc(0);

/** A directory that is not there for reading: absent, not a directory, or reached through a symlink. */
function gone(e: unknown): boolean {
  return (e instanceof GeorepError && e.code === 'PATH_ESCAPES_ROOT') || hasErrno(e, 'ENOENT', 'ENOTDIR');
}

/** The directory's descriptor (scoped: closed with the request), or undefined when it is gone. */
function openDirIfThere(ctx: SlaveContext, rel: Buffer): number | undefined {
  ctx.confine.checkReplicaPath(rel);
  try {
    return ctx.confine.dir(rel);
  } catch (e) {
    if (gone(e)) return undefined;
    throw e;
  }
}

/** Index of the first name after `after` in sorted `names`. */
function firstAfter(names: readonly Buffer[], after: Buffer): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(names[mid] as Buffer, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A directory's entries sorted by raw name bytes, each with where its stat slots start in `slots`. */
interface SortedListing {
  readonly names: readonly Buffer[];
  readonly at: readonly number[];
  readonly slots: BigInt64Array;
}

export class VerifyReader {
  /** Listings of directories being paged, by relative path (latin1). */
  private readonly paging = new Map<string, SortedListing>();

  listDir(ctx: SlaveContext, p: P<'listDir'>): R<'listDir'> {
    const rel = decodeDirPath(p.dir);
    return ctx.confine.scoped(() => {
      const fd = openDirIfThere(ctx, rel);
      if (fd === undefined) return NOT_FOUND;
      const st = ctx.fs.stat(fd, SELF);
      const self: DirAttrs = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: timespecOf(st.mtimeNs) };
      const key = rel.toString('latin1');
      const listing = (p.after === null ? undefined : this.paging.get(key)) ?? sortedListing(ctx, fd, rel.length === 0);
      this.paging.delete(key);
      const page = new EntryPacker();
      let last: Buffer | undefined;
      let bytes = 0;
      const { names, at, slots } = listing;
      for (let i = p.after === null ? 0 : firstAfter(names, decodeName(p.after)); i < names.length; i++) {
        if (page.count >= LIMITS.listEntries || bytes >= PAGE_BYTES) {
          this.remember(key, listing);
          return { found: true, self, entries: page.finish(), next: wireName(last as Buffer) };
        }
        const name = names[i] as Buffer;
        const from = at[i] as number;
        const mode = slots[from + MODE_SLOT] as bigint;
        if (mode === 0n) {
          const errno = Number(slots[from + ERRNO_SLOT]);
          if (errno === ENOENT) continue; // removed between the listing and its stat
          throw sysError(errno, 'fstatat', name);
        }
        let target: string | undefined;
        if (typeOfMode(Number(mode)) === 'symlink') {
          const link = readlinkIfStill(ctx, fd, name);
          if (link === undefined) continue; // removed, or no longer a symlink, since the listing
          target = wireName(link);
        }
        page.add(name, slots, from, target);
        bytes += packedBytes(name, target);
        last = name;
      }
      return { found: true, self, entries: page.finish(), next: null };
    });
  }

  hashFiles(ctx: SlaveContext, p: P<'hashFiles'>): R<'hashFiles'> {
    const rel = decodeDirPath(p.dir);
    return ctx.confine.scoped(() => {
      const fd = openDirIfThere(ctx, rel);
      if (fd === undefined) return { hashes: p.names.map((): HashResult => ({ error: 'ENOENT' })) };
      return { hashes: p.names.map((n) => hashOne(ctx, fd, rel, n)) };
    });
  }

  private remember(key: string, listing: SortedListing): void {
    this.paging.set(key, listing);
    if (this.paging.size > CACHED_DIRS) this.paging.delete(this.paging.keys().next().value as string);
  }
}

/** A symlink's target; undefined when the name went or is no longer a symlink (ENOENT, EINVAL). */
function readlinkIfStill(ctx: SlaveContext, fd: number, name: Buffer): Buffer | undefined {
  try {
    return ctx.fs.readlink(fd, name);
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'EINVAL')) return undefined;
    throw e;
  }
}

/** Every entry of directory fd in one native call, sorted by raw name bytes (the root's .georep left out). */
function sortedListing(ctx: SlaveContext, fd: number, atRoot: boolean): SortedListing {
  const { text, ends, slots } = ctx.fs.listStats(fd);
  const all: { name: Buffer; at: number }[] = [];
  for (let i = 0, from = 0; i < ends.length; i++) {
    const to = ends[i] as number;
    const name = text.subarray(from, to);
    from = to;
    if (!(atRoot && name.equals(RESERVED_NAME))) all.push({ name, at: i * NATIVE_SLOTS });
  }
  all.sort((a, b) => Buffer.compare(a.name, b.name));
  return { names: all.map((e) => e.name), at: all.map((e) => e.at), slots };
}

/** One file's digest, opened relative to its directory's descriptor. */
function hashOne(ctx: SlaveContext, dirFd: number, rel: Buffer, wire: string): HashResult {
  let name: Buffer;
  try {
    name = decodeName(wire);
    ctx.confine.childOf(rel, name); // the reserved .georep at ROOT
  } catch (e) {
    if (e instanceof GeorepError) return { error: e.code };
    throw e;
  }
  const fd = ctx.fs.tryOpen(dirFd, name, HASH_OPEN_FLAGS);
  if (fd < 0) return openError(getSystemErrorName(fd));
  try {
    return hashFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** The slave index's gfid for directory `rel`, walking its names from ROOT; undefined if unknown. */
function dirGfid(ctx: SlaveContext, rel: Buffer): Gfid | undefined {
  let gfid: Gfid | undefined = ROOT_GFID;
  let start = 0;
  while (gfid !== undefined && start < rel.length) {
    const end = rel.indexOf(0x2f, start);
    const stop = end < 0 ? rel.length : end;
    gfid = ctx.index.lookup(gfid, rel.subarray(start, stop));
    start = stop + 1;
  }
  return gfid;
}

/** Empties one place and forgets its name; true when there was something to remove or forget. */
function dropOne(ctx: SlaveContext, rel: Buffer): boolean {
  const parentRel = dirOf(rel);
  const name = rel.subarray(parentRel.length === 0 ? 0 : parentRel.length + 1);
  ctx.confine.checkReplicaPath(rel); // BAD_NAME for the reserved .georep at ROOT and below it
  ctx.confine.childOf(parentRel, name);
  const removed = removeFromDisk(ctx, parentRel, name);
  // The index after the disk (slave-index.ts): a removal that failed leaves the name known.
  const pargfid = dirGfid(ctx, parentRel);
  if (pargfid === undefined || ctx.index.lookup(pargfid, name) === undefined) return removed;
  ctx.index.removeName({ pargfid, name }); // a directory's subtree goes with it
  return true;
}

function removeFromDisk(ctx: SlaveContext, parentRel: Buffer, name: Buffer): boolean {
  let dirFd: number;
  try {
    dirFd = ctx.confine.dir(parentRel);
  } catch (e) {
    if (gone(e)) return false; // no parent directory: nothing on disk below it
    throw e;
  }
  if (ctx.fs.statIfAny(dirFd, name) === undefined) return false;
  // Verify reported the parent's own attributes separately; removing an entry must not change them.
  keepDirTimes(ctx.fs, dirFd, () => removeTree(ctx.fs, dirFd, name));
  ctx.confine.invalidate();
  return true;
}

export function dropPaths(ctx: SlaveContext, p: P<'dropPaths'>): R<'dropPaths'> {
  let dropped = 0;
  const failures: DropFailure[] = [];
  ctx.index.transaction(() => {
    p.paths.forEach((path, index) => {
      try {
        if (ctx.confine.scoped(() => dropOne(ctx, decodePath(path)))) dropped++;
      } catch (e) {
        if (!(e instanceof GeorepError) && !hasErrno(e, ...ERRNOS)) throw e;
        failures.push({ index, ...toWireError(e) });
      }
    });
  });
  (dropped > 0 ? ctx.log.info.bind(ctx.log) : ctx.log.debug.bind(ctx.log))('dropped slave entries for repair', {
    paths: p.paths.length,
    dropped,
    failures: failures.length,
  });
  return { dropped, failures };
}

/**
 * What dropPaths of the same paths would remove from the disk, counted up to `cap` (repair's
 * mass-delete brake: an extra directory is one verify line however much it holds). Walked from
 * ROOT without following a symlink, as the drop is; what cannot be walked counts as reached.
 */
export function countPaths(ctx: SlaveContext, p: P<'countPaths'>): R<'countPaths'> {
  let entries = 0;
  ctx.confine.scoped(() => {
    for (const path of p.paths) {
      if (entries >= p.cap) break;
      const rel = decodePath(path);
      try {
        ctx.confine.checkReplicaPath(rel);
        entries += countBelow(ctx, rel, p.cap - entries);
      } catch (e) {
        if (!(e instanceof GeorepError) && !hasErrno(e, ...ERRNOS)) throw e;
      }
    }
  });
  return { entries: Math.min(entries, p.cap) };
}

/** Entries at `rel` and below it (0 when nothing is there), stopping once `cap` is reached. */
function countBelow(ctx: SlaveContext, rel: Buffer, cap: number): number {
  const parentRel = dirOf(rel);
  const name = rel.subarray(parentRel.length === 0 ? 0 : parentRel.length + 1);
  const parent = openDirIfThere(ctx, parentRel);
  if (parent === undefined || ctx.fs.statIfAny(parent, name) === undefined) return 0;
  const flags = ctx.fs.c.O_PATH | ctx.fs.c.O_DIRECTORY | ctx.fs.c.O_NOFOLLOW;
  let n = 1;
  // Depth first, one descriptor per level (as removeTree): a wide tree holds few at once.
  const stack: { fd: number; subdirs: Buffer[] }[] = [];
  const enter = (dirFd: number, child: Buffer): void => {
    const fd = ctx.fs.tryOpen(dirFd, child, flags);
    if (fd < 0) return; // not a directory (or gone): the entry alone
    const subdirs: Buffer[] = [];
    try {
      const { text, ends, slots } = ctx.fs.listStats(fd);
      for (let i = 0, from = 0; i < ends.length; i++) {
        const to = ends[i] as number;
        const mode = Number(slots[i * NATIVE_SLOTS + MODE_SLOT]);
        if (mode !== 0) {
          n++; // (0: gone since the listing)
          if (typeOfMode(mode) === 'dir') subdirs.push(text.subarray(from, to));
        }
        from = to;
      }
    } catch (e) {
      ctx.fs.close(fd);
      throw e;
    }
    stack.push({ fd, subdirs });
  };
  // A directory that cannot be read (EACCES, EIO) counts as itself: what was reached stands.
  const enterIfReadable = (dirFd: number, child: Buffer): void => {
    try {
      enter(dirFd, child);
    } catch (e) {
      if (!hasErrno(e, ...ERRNOS)) throw e;
    }
  };
  try {
    enterIfReadable(parent, name);
    while (stack.length > 0 && n < cap) {
      const top = stack.at(-1) as (typeof stack)[number]; // the loop runs only while it holds one
      const next = top.subdirs.pop();
      if (next === undefined) {
        stack.pop();
        ctx.fs.close(top.fd);
      } else enterIfReadable(top.fd, next);
    }
  } finally {
    for (const { fd } of stack) ctx.fs.close(fd);
  }
  return n;
}

/** System errors one path's drop may meet without stopping the others. */
const ERRNOS = ['EACCES', 'EPERM', 'EBUSY', 'EROFS', 'EIO', 'ENOTEMPTY', 'ENAMETOOLONG', 'ELOOP', 'ENOENT', 'ENOTDIR'];
