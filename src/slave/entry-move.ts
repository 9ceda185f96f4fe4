// Moving and removing entry ops (RENAME, UNLINK, RMDIR), resolved by gfid against the slave index.
// Invariant: idempotent under replay: a gfid already at `to` is a no-op, removing a name that
// no longer holds the gfid is a no-op, and a rename the index missed (crash) is completed.

import { GeorepError, hasErrno } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { errnoError } from './op-failure.js';
import { displayPath } from '../changelog/index.js';
import type { EntryStat } from './fs-at.js';
import { statAt, nameOf, placeOf, removeOccupant, resolvePlace } from './place.js';
import type { Place } from './place.js';
import type { EntryOp } from './protocol.js';
import { removeTree } from './remove-tree.js';
import type { ObjectType } from '../changelog/index.js';
import type { SlaveName } from './slave-index.js';
import { keepDirTimes } from './dir-times.js';

type OpOf<K extends EntryOp['op']> = EntryOp & { readonly op: K };
/** UNLINK and RMDIR share one member of EntryOp. */
type RemoveOp = Extract<EntryOp, { op: 'UNLINK' | 'RMDIR' }>;

const sameName = (a: SlaveName, b: SlaveName): boolean => a.pargfid === b.pargfid && a.name.equals(b.name);

export function applyRename(ctx: SlaveContext, op: OpOf<'RENAME'>): void {
  if (op.gone === true) {
    renameGone(ctx, op);
    return;
  }
  const to = resolvePlace(ctx, op.to, op.keepDeleted === true);
  const from = nameOf(op.entry);
  if (sameName(from, to.at)) {
    settleSoleName(ctx, op.gfid, to, (op.alsoNamed ?? []).map(nameOf));
    return;
  }
  const fromHolds = ctx.index.lookup(from.pargfid, from.name) === op.gfid;
  if (ctx.index.lookup(to.at.pargfid, to.at.name) === op.gfid) {
    // Already moved. If the source still holds the gfid too, it is a hard link a replayed CREATE
    // added (CREATE of a known gfid links it); the master's rename removed that name.
    if (fromHolds && !sameName(from, to.at)) removeName(ctx, from);
    return;
  }
  const type = ctx.index.typeOf(op.gfid);
  const source = fromHolds ? from : ctx.index.firstName(op.gfid);
  if (type === undefined || source === undefined) {
    replaceOccupant(ctx, op.gfid, to);
    throw new GeorepError('GFID_UNKNOWN', `RENAME of gfid ${op.gfid}, which the slave does not know`, {
      path: op.gfid,
    });
  }
  moveEntry(ctx, op.gfid, type, source, to);
}

/**
 * The part of a RENAME the slave can apply without its source: the rename replaced whatever was
 * at `to`, which the master records nowhere else. The gfid itself is synced again from where it
 * is now (its failure is in the master's ledger), but no later record names the entry it
 * replaced: kept, it stayed on the slave for good under completed checkpoints (live kill probe,
 * 7 entries in 4 of 16 rounds). A directory that still holds entries is left (removeOccupant
 * refuses it), as the master could not have renamed over it either.
 */
function replaceOccupant(ctx: SlaveContext, gfid: Gfid, to: Place): void {
  const occupant = ctx.index.lookup(to.at.pargfid, to.at.name);
  if (occupant === undefined || occupant === gfid) return;
  const st = statAt(ctx, to);
  if (st === undefined) return;
  try {
    removeOccupant(ctx, to, st, occupant);
  } catch (e) {
    // A directory that still holds entries (ENOTEMPTY), or one this user may not change.
    if (!hasErrno(e, 'ENOTEMPTY', 'EACCES', 'EPERM', 'EBUSY')) throw e;
    ctx.log.debug('left the entry a failed rename would have replaced', {
      path: displayPath(to.rel),
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

/**
 * RENAME of a gfid the master has since removed. The records that follow name it only at
 * `to` (its UNLINK there), so this record is the last chance to drop the names the slave has
 * for it; and the rename replaced whatever was at `to`, which the master records nowhere else.
 * Every name of a gone gfid goes (it has none left on the master), then the occupant of `to`.
 * A target directory the slave never had (made and removed on the master meanwhile) leaves no
 * occupant to remove.
 */
function renameGone(ctx: SlaveContext, op: OpOf<'RENAME'>): void {
  for (const n of ctx.index.namesOf(op.gfid)) removeName(ctx, n);
  const to = nameOf(op.to);
  if (ctx.index.dirPath(to.pargfid) === undefined) return;
  if (ctx.index.lookup(to.pargfid, to.name) !== undefined) removeName(ctx, to);
}

/**
 * RENAME of a name onto itself never comes from a changelog; the master sends it when it syncs
 * an entry again from its current state, meaning "these are the gfid's names": the gfid moves
 * to `to` from wherever the slave has it, and any name of it that is neither `to` nor one of
 * `alsoNamed` (a hard-linked file's other names on the master) goes. Unknown: nothing to do
 * (the CREATEs that follow make it).
 */
function settleSoleName(ctx: SlaveContext, gfid: Gfid, to: Place, alsoNamed: readonly SlaveName[]): void {
  const type = ctx.index.typeOf(gfid);
  if (type === undefined) return;
  if (ctx.index.lookup(to.at.pargfid, to.at.name) !== gfid) {
    const source = ctx.index.firstName(gfid);
    if (source !== undefined) moveEntry(ctx, gfid, type, source, to);
  }
  for (const n of ctx.index.namesOf(gfid)) {
    if (!sameName(n, to.at) && !alsoNamed.some((a) => sameName(n, a))) {
      const place = placeOf(ctx, n);
      ctx.log.info('removed a stale name of a resynced entry', { gfid, path: displayPath(place.rel) });
      // Its directory's times stay as the master last sent them: the master removed this name
      // long ago (its RENAME failed here), and sends that directory's times no more.
      keepDirTimes(ctx.fs, place.dir, () => {
        removeTree(ctx.fs, place.dir, place.name);
        ctx.index.removeName(n);
      });
      ctx.confine.invalidate();
    }
  }
}

/** Renames the entry at `from` (holding `gfid`) onto `to`, replacing whatever occupies `to`. */
export function moveEntry(ctx: SlaveContext, gfid: Gfid, type: ObjectType, from: SlaveName, to: Place): void {
  const src = placeOf(ctx, from);
  const srcSt = statAt(ctx, src);
  const dstSt = statAt(ctx, to);
  const atTo = ctx.index.lookup(to.at.pargfid, to.at.name);
  ctx.confine.invalidate();
  if (srcSt === undefined) {
    // The disk already has it at `to` but the index does not (a crash before the commit): finish.
    if (dstSt !== undefined && atTo === undefined && dstSt.type === type) {
      ctx.index.moveName(from, to.at);
      return;
    }
    if (type === 'file' && dstSt?.type !== 'dir' && ctx.unwritten.has(gfid)) {
      moveUnwritten(ctx, gfid, from, to, dstSt, atTo);
      return;
    }
    if (type === 'file' && dstSt?.type !== 'dir') {
      // Its file is gone from the slave (lost, or its data never landed before an agent restart):
      // the name moves so the gfid lives where the master has it, and the failure makes the
      // master send it again (recreated at the target by its data).
      if (atTo !== undefined) ctx.index.removeName(to.at);
      ctx.index.moveName(from, to.at);
      throw errnoError(
        'ENOENT',
        `RENAME source ${displayPath(src.rel)} of gfid ${gfid} is missing on the slave; it is sent again`,
      );
    }
    throw errnoError('ENOENT', `RENAME source ${displayPath(src.rel)} of gfid ${gfid} is missing on the slave`);
  }
  if (dstSt !== undefined && dstSt.ino === srcSt.ino && dstSt.dev === srcSt.dev) {
    // Two names of one inode: rename(2) would leave both; the source name must go.
    ctx.fs.unlinkIfAny(src.dir, src.name);
  } else {
    // rename(2) replaces a non-directory atomically; a directory on either side needs the place cleared.
    if (dstSt !== undefined && (dstSt.type === 'dir' || srcSt.type === 'dir')) removeOccupant(ctx, to, dstSt, atTo);
    else if (dstSt !== undefined)
      ctx.log.info('replaced a slave entry', { path: displayPath(to.rel), was: dstSt.type, gfid: atTo ?? null });
    ctx.fs.rename(src.dir, src.name, to.dir, to.name);
  }
  ctx.index.moveName(from, to.at);
}

/**
 * RENAME of a file a deferred CREATE recorded but whose data has not landed: only the name
 * moves. A file already at `to` (an editor's save: write a temp name, rename it over) stays
 * on disk, now under this gfid, until the commit replaces it atomically: readers see the old
 * content, then the new, never a missing file. It is also a good rsync basis.
 */
function moveUnwritten(
  ctx: SlaveContext,
  gfid: Gfid,
  from: SlaveName,
  to: Place,
  occupant: EntryStat | undefined,
  atTo: Gfid | undefined,
): void {
  let dstSt = occupant;
  if (dstSt !== undefined && dstSt.type !== 'file') {
    removeOccupant(ctx, to, dstSt, atTo); // a symlink or special file is no basis: it goes now
    dstSt = undefined;
  } else if (atTo !== undefined) ctx.index.removeName(to.at);
  ctx.index.moveName(from, to.at);
  if (dstSt !== undefined) {
    ctx.unwritten.delete(gfid);
    ctx.log.info('renamed a file awaiting its data over a slave entry', {
      path: displayPath(to.rel),
      was: atTo ?? null,
    });
  }
}

/** Removes one name from disk and index (a directory with its subtree). */
function removeName(ctx: SlaveContext, at: SlaveName): void {
  const place = placeOf(ctx, at);
  removeTree(ctx.fs, place.dir, place.name);
  ctx.index.removeName(at);
  ctx.confine.invalidate();
}

/**
 * UNLINK or RMDIR of a gfid the master has no name of left (`gone`): every name the slave has
 * of it goes, wherever. A copy held elsewhere (its move there failed: a parent the slave
 * lacked) is named by no later op; left in a directory the master has emptied, it also kept
 * that directory from being replaced (removeOccupant refuses) for good.
 */
function dropGone(ctx: SlaveContext, op: RemoveOp): void {
  for (const n of ctx.index.namesOf(op.gfid)) {
    if (ctx.index.lookup(n.pargfid, n.name) !== op.gfid) continue; // gone with a directory dropped before
    if (!sameName(n, nameOf(op.entry)))
      ctx.log.info('removed a name of an entry the master has removed', {
        gfid: op.gfid,
        path: displayPath(placeOf(ctx, n).rel),
      });
    removeName(ctx, n);
  }
}

export function applyUnlink(ctx: SlaveContext, op: RemoveOp): void {
  if (op.gone === true) return dropGone(ctx, op);
  const at = nameOf(op.entry);
  // Missing, or the name now holds another gfid: nothing of this gfid to remove (idempotent replay).
  if (ctx.index.lookup(at.pargfid, at.name) !== op.gfid) return;
  const place = placeOf(ctx, at);
  ctx.fs.unlinkIfAny(place.dir, place.name); // unlinkat removes a symlink itself, never its target
  ctx.index.removeName(at);
  ctx.confine.invalidate();
}

export function applyRmdir(ctx: SlaveContext, op: RemoveOp): void {
  if (op.gone === true) return dropGone(ctx, op);
  const at = nameOf(op.entry);
  if (ctx.index.lookup(at.pargfid, at.name) !== op.gfid) return;
  const place = placeOf(ctx, at);
  // The whole subtree goes, as on the master (which could only rmdir it empty, after its children).
  removeTree(ctx.fs, place.dir, place.name);
  ctx.index.removeName(at);
  ctx.confine.invalidate();
}
