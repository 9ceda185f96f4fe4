// Entry stat helpers: what a crawl knows about one master entry (type, inode, attrs) and how
// it compares with what the index last confirmed on the slave.

import fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { LstatView } from './dir-stats.js';
import { hasErrno } from '../errors.js';
import type { EntryType } from './entry-type.js';

/**
 * The attributes of an entry a crawl compares: as confirmed on the slave (the index's synced
 * columns) or as the recorder last saw them (its recorded columns).
 */
export interface SyncedAttrs {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export function entryTypeOf(st: LstatView): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * A time in ns as the indexes store it: SQLite's integers are 64-bit, which ends on 2262-04-11.
 * A file dated later (`touch -d 2300-01-01`, which any user can do) made the bind throw and
 * stopped the whole tree's replication (one-shot probe); it is stored as the last time there
 * is, and attrsOf gives it so, so that it compares equal to what was stored.
 */
export function storableNs(ns: bigint): bigint {
  return ns > INT64_MAX ? INT64_MAX : ns < INT64_MIN ? INT64_MIN : ns;
}

export function attrsOf(st: LstatView): SyncedAttrs {
  return {
    size: Number(st.size),
    mtimeNs: storableNs(st.mtimeNs),
    ctimeNs: storableNs(st.ctimeNs),
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

/** What changed between the confirmed attrs and the entry now. */
export interface AttrDelta {
  /** Size or mtime differ: content changed for sure. */
  readonly content: boolean;
  /** Only ctime moved while size and mtime stayed: content may have changed with its mtime put back. */
  readonly ctimeOnly: boolean;
  /** mode, owner or mtime differ: metadata must be set again. */
  readonly meta: boolean;
}

export function attrDelta(was: SyncedAttrs, now: SyncedAttrs): AttrDelta {
  const content = was.size !== now.size || was.mtimeNs !== now.mtimeNs;
  const meta = was.mode !== now.mode || was.uid !== now.uid || was.gid !== now.gid || was.mtimeNs !== now.mtimeNs;
  const ownerOrMode = was.mode !== now.mode || was.uid !== now.uid || was.gid !== now.gid;
  const ctimeOnly = !content && was.ctimeNs !== now.ctimeNs && !ownerOrMode;
  return { content, ctimeOnly, meta };
}

export function sameAttrs(a: SyncedAttrs, b: SyncedAttrs): boolean {
  return (
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid
  );
}

/**
 * The names in a directory as bytes; none when it is gone (removed while we looked), or when
 * this user may not read it (EACCES, EPERM: its callers look for names that appeared, and the
 * watcher has said it cannot watch it). Not for finding what was removed: use a listing that
 * tells an unreadable directory from an empty one.
 */
export function listNames(abs: Buffer): Buffer[] {
  try {
    return fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR', 'EACCES', 'EPERM')) return [];
    throw e;
  }
}

/** An entry's lstat; none when it or a parent is gone (removed while we looked). */
export function lstatIfAny(abs: Buffer): BigIntStats | undefined {
  try {
    return fs.lstatSync(abs, { bigint: true });
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
    throw e;
  }
}

/** A symlink's target as bytes; none when it is gone or no longer a symlink (replaced while we looked). */
export function readTarget(abs: Buffer): Buffer | undefined {
  try {
    return fs.readlinkSync(abs, { encoding: 'buffer' });
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR', 'EINVAL')) return undefined;
    throw e;
  }
}
