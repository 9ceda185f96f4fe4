// Creating entry ops (CREATE, MKDIR, SYMLINK, LINK) and the hard-link rule they share.
// Invariant: idempotent: a gfid already at its place is a no-op, an unknown entry of the same
// type is adopted, anything else at the place is replaced; owners are applied only as root.

import { GeorepError } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import type { EntryStat } from './fs-at.js';
import { claimPlace, statAt, placeOf, resolvePlace } from './place.js';
import type { Place } from './place.js';
import { decodeTarget } from './wire-names.js';
import type { EntryOp } from './protocol.js';
import type { ObjectType } from '../changelog/index.js';
import { moveEntry } from './entry-move.js';
import { takeOver } from './kept-dir.js';

type OpOf<K extends EntryOp['op']> = EntryOp & { readonly op: K };

/** The permission bits of st_mode (setuid, setgid, sticky, rwx). */
export const PERM_MASK = 0o7777;
const SELF = Buffer.alloc(0);

/**
 * Owner first, then mode: chown clears setuid/setgid bits, so chmod must come after it. Both act
 * on one inode, the one at `place` when it is opened here (O_PATH|O_NOFOLLOW): never on a
 * symlink's target, and never on another entry swapped in between the two calls.
 */
export function setOwnerMode(ctx: SlaveContext, place: Place, mode: number, uid: number, gid: number): void {
  const { fs } = ctx;
  const fd = ctx.confine.track(fs.open(place.dir, place.name, fs.c.O_PATH | fs.c.O_NOFOLLOW));
  if (ctx.isRoot) fs.chown(fd, SELF, uid, gid);
  fs.chmod(fd, SELF, mode & PERM_MASK); // a symlink: ENOTSUP (callers pass none)
}

function knownType(ctx: SlaveContext, gfid: Gfid, want: ObjectType): ObjectType | undefined {
  const type = ctx.index.typeOf(gfid);
  if (type !== undefined && type !== want) {
    throw new GeorepError('ENTRY_CONFLICT', `gfid ${gfid} is a ${type} on the slave, not a ${want}`, { path: gfid });
  }
  return type;
}

export function applyCreate(ctx: SlaveContext, op: OpOf<'CREATE'>): void {
  const place = resolvePlace(ctx, op.entry, op.keepDeleted === true);
  // GlusterFS gfid semantics: CREATE of a gfid the slave already has under another name is a hard link.
  if (knownType(ctx, op.gfid, 'file') !== undefined && (ctx.unwritten.has(op.gfid) || keepLiveNames(ctx, op.gfid))) {
    linkGfid(ctx, op.gfid, 'file', place);
    return;
  }
  // Adopted only when it is no other file's name too: a hard link to something outside the
  // root (a local user's link to /etc/shadow, say) would get our owner, mode and data.
  const claim = claimPlace(ctx, place, op.gfid, 'file', (st) => st.type === 'file' && st.nlink === 1);
  if (claim === 'adopted') setOwnerMode(ctx, place, op.mode, op.uid, op.gid);
  if (claim !== 'free') return;
  if (op.deferred === true) {
    // Its data follows in this batch: the commit's rename creates the file (mode and owner
    // come with rsync -a). Until then the gfid has a name in the index and no file.
    ctx.index.add(op.gfid, 'file', place.at);
    ctx.unwritten.add(op.gfid);
    return;
  }
  // O_EXCL|O_NOFOLLOW: never opens whatever may have appeared there, a symlink least of all.
  const { fs } = ctx;
  const flags = fs.c.O_WRONLY | fs.c.O_CREAT | fs.c.O_EXCL | fs.c.O_NOFOLLOW;
  const fd = ctx.confine.track(fs.open(place.dir, place.name, flags, op.mode & PERM_MASK));
  if (ctx.isRoot) fs.chown(fd, SELF, op.uid, op.gid);
  fs.chmod(fd, SELF, op.mode & PERM_MASK); // the umask cut the bits open() applied
  ctx.index.add(op.gfid, 'file', place.at);
}

/**
 * Forgets the names of a file gfid whose entries are gone from the disk (see claimPlace);
 * whether any name still holds a regular file. None: the CREATE makes the file again.
 */
function keepLiveNames(ctx: SlaveContext, gfid: Gfid): boolean {
  let live = false;
  for (const n of ctx.index.namesOf(gfid)) {
    if (statAt(ctx, placeOf(ctx, n))?.type === 'file') live = true;
    else ctx.index.removeName(n);
  }
  return live;
}

export function applyMkdir(ctx: SlaveContext, op: OpOf<'MKDIR'>): void {
  const place = resolvePlace(ctx, op.entry, op.keepDeleted === true);
  const from = knownType(ctx, op.gfid, 'dir') === undefined ? undefined : ctx.index.firstName(op.gfid);
  if (from !== undefined && !(from.pargfid === place.at.pargfid && from.name.equals(place.at.name))) {
    // A directory has one name: MKDIR of a known directory gfid elsewhere (a replayed batch) moves it.
    moveEntry(ctx, op.gfid, 'dir', from, place);
    return;
  }
  // Ignore-deletes: a directory of another gfid here (a kept one) becomes this one, entries and all.
  if (place.keep && takeOver(ctx, place, op.gfid)) {
    setOwnerMode(ctx, place, op.mode, op.uid, op.gid);
    return;
  }
  const claim = claimPlace(ctx, place, op.gfid, 'dir', (st) => st.type === 'dir');
  if (claim === 'present') return;
  if (claim === 'free') ctx.fs.mkdir(place.dir, place.name, op.mode & PERM_MASK);
  setOwnerMode(ctx, place, op.mode, op.uid, op.gid);
  if (claim === 'free') ctx.index.add(op.gfid, 'dir', place.at);
}

export function applySymlink(ctx: SlaveContext, op: OpOf<'SYMLINK'>): void {
  const place = resolvePlace(ctx, op.entry, op.keepDeleted === true);
  if (knownType(ctx, op.gfid, 'symlink') !== undefined) {
    linkGfid(ctx, op.gfid, 'symlink', place);
    return;
  }
  const target = decodeTarget(op.target);
  const same = (st: EntryStat): boolean =>
    st.type === 'symlink' && st.nlink === 1 && ctx.fs.readlink(place.dir, place.name).equals(target);
  const claim = claimPlace(ctx, place, op.gfid, 'symlink', same);
  if (claim === 'present') return;
  if (claim === 'free') ctx.fs.symlink(target, place.dir, place.name); // the target may dangle; it is never followed
  if (ctx.isRoot) ctx.fs.chown(place.dir, place.name, op.uid, op.gid); // the link itself
  if (claim === 'free') ctx.index.add(op.gfid, 'symlink', place.at);
}

export function applyLink(ctx: SlaveContext, op: OpOf<'LINK'>): void {
  const type = ctx.index.typeOf(op.gfid);
  if (type === undefined)
    throw new GeorepError('GFID_UNKNOWN', `LINK of gfid ${op.gfid}, which the slave does not know`, { path: op.gfid });
  if (type === 'dir') throw new GeorepError('ENTRY_CONFLICT', `LINK of directory gfid ${op.gfid}`, { path: op.gfid });
  linkGfid(ctx, op.gfid, type, resolvePlace(ctx, op.entry, op.keepDeleted === true));
}

/** Adds `place` as another name of the existing `gfid` (a hard link to its current file). */
export function linkGfid(ctx: SlaveContext, gfid: Gfid, type: ObjectType, place: Place): void {
  const first = ctx.index.firstName(gfid);
  if (first === undefined)
    throw new GeorepError('GFID_UNKNOWN', `gfid ${gfid} has no name on the slave`, { path: gfid });
  const source = placeOf(ctx, first);
  let srcSt: EntryStat | undefined;
  // An unknown entry that already is this inode (a crash before the index commit) is adopted.
  const sameInode = (st: EntryStat): boolean => {
    srcSt ??= statAt(ctx, source);
    return srcSt !== undefined && st.ino === srcSt.ino && st.dev === srcSt.dev;
  };
  if (claimPlace(ctx, place, gfid, type, sameInode) !== 'free') return;
  // A deferred CREATE has no file yet: record the name; the commit links every name of the gfid.
  // linkat without AT_SYMLINK_FOLLOW links a symlink source itself.
  if (type !== 'file' || (srcSt ?? statAt(ctx, source)) !== undefined)
    ctx.fs.link(source.dir, source.name, place.dir, place.name);
  ctx.index.add(gfid, type, place.at);
}
