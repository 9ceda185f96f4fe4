// Kept directories (ignore-deletes): what the slave does with a directory at the place of a new
// entry when the session keeps what the master deletes. Invariant: merge, keep everything, lose
// nothing, and never refuse: a kept directory is taken over or moved aside, never deleted.
//
// Without ignore-deletes a directory at such a place still holding entries the index knows is
// refused (ENOTEMPTY, place.ts removeOccupant): they are ones the master will still move out,
// and its retry lands once they have gone. With ignore-deletes they are entries the master
// deleted and the slave keeps, which nothing ever moves out: `rm -rf a; mkdir a` failed
// ENOTEMPTY for ever, held checkpoints back, and nothing new in a arrived. What an operator of
// rsync without --delete (or lsyncd delete=false) expects is a merge:
// - MKDIR of a new gfid where the slave has a directory of another gfid: the slave's directory
//   takes the new gfid (takeOver). The kept entries stay in it, known to the index under their
//   new parent; the new entries arrive into it; a new entry whose name a kept one holds replaces
//   it as any entry op does (a kept file by a new file: the new content wins, as with rsync).
// - Any other entry at the name of a non-empty directory (a RENAME of a directory or a file over
//   it, a CREATE, SYMLINK, MKNOD or LINK): the kept directory moves aside, whole, to
//   `<name>.georep-kept-<gfid8>` in the same parent (keepAside). For a RENAME of a directory,
//   merging the kept entries into it name by name was the other choice; moving the whole
//   directory aside is one rename(2) whatever its size, has no name conflicts to settle at any
//   depth, leaves the renamed directory exactly the master's, and keeps the kept directory's
//   gfid: should its entries be ones the master has moved elsewhere in changes not applied here
//   yet (the case ENOTEMPTY waits for without ignore-deletes), their own ops and retries still
//   find them by gfid and move them out of the aside directory.
// An empty directory is nothing to keep: it is replaced as before.

import { displayPath } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { errnoError } from './op-failure.js';
import { LIMITS } from './limits.js';
import type { Place } from './place.js';

/** What follows a kept directory's name when it is moved aside. */
const ASIDE_MARK = '.georep-kept-';
/** Other names tried when `<name>.georep-kept-<gfid8>` is taken (`-2`, `-3`, …). */
const ASIDE_TRIES = 100;

/**
 * MKDIR of `gfid` at `place` where the slave has a directory of another gfid: that directory
 * takes `gfid`, its entries staying in it (see the header). False when there is no such
 * directory (nothing, an unknown entry, a non-directory: the MKDIR goes on as without keeping).
 */
export function takeOver(ctx: SlaveContext, place: Place, gfid: Gfid): boolean {
  const known = ctx.index.lookup(place.at.pargfid, place.at.name);
  if (known === undefined || known === gfid || ctx.index.typeOf(known) !== 'dir') return false;
  if (ctx.fs.statIfAny(place.dir, place.name)?.type !== 'dir') return false;
  ctx.index.retagDir(known, gfid);
  ctx.log.info('a new directory took over a kept slave directory and its entries', {
    path: displayPath(place.rel),
    gfid,
    was: known,
  });
  return true;
}

/** Whether the directory at `place` holds any entry (false if it is no longer a directory). */
export function holdsEntries(ctx: SlaveContext, place: Place): boolean {
  const { fs } = ctx;
  const fd = fs.tryOpen(place.dir, place.name, fs.c.O_PATH | fs.c.O_DIRECTORY | fs.c.O_NOFOLLOW);
  if (fd < 0) return false; // gone or swapped for a non-directory: the caller's removal deals with it
  ctx.confine.track(fd);
  return fs.readdir(fd).length > 0;
}

/**
 * Moves the directory at `place` aside, whole, to a free `<name>.georep-kept-<gfid8>` in the
 * same parent (`local` for a directory the index does not know), so the place is free for the
 * new entry. The index moves its name too: everything in it stays known, under the same gfids.
 */
export function keepAside(ctx: SlaveContext, place: Place, occupant: Gfid | undefined): void {
  const parentRel = ctx.index.dirPath(place.at.pargfid);
  if (parentRel === undefined) throw errnoError('ENOENT', `the directory holding ${displayPath(place.rel)} is gone`);
  // A name the index gives a non-directory does not describe what is on disk: it is forgotten,
  // and the directory is kept aside as one the index does not know.
  const known = occupant !== undefined && ctx.index.typeOf(occupant) === 'dir' ? occupant : undefined;
  const name = asideName(ctx, place, known);
  if (occupant !== undefined && known === undefined) ctx.index.removeName(place.at);
  const rel = ctx.confine.childOf(parentRel, name);
  ctx.confine.abs(rel); // PATH_TOO_LONG, as for any entry
  ctx.fs.rename(place.dir, place.name, place.dir, name);
  if (known !== undefined) ctx.index.moveName(place.at, { pargfid: place.at.pargfid, name });
  ctx.confine.invalidate();
  ctx.log.info('kept a slave directory aside: the master put another entry at its name', {
    path: displayPath(place.rel),
    keptAs: displayPath(rel),
    gfid: known ?? null,
  });
}

/** The first free aside name for the directory at `place`, cut to the name limit. */
function asideName(ctx: SlaveContext, place: Place, known: Gfid | undefined): Buffer {
  const tag = `${ASIDE_MARK}${known?.slice(0, 8) ?? 'local'}`;
  for (let n = 1; n <= ASIDE_TRIES; n++) {
    const suffix = Buffer.from(n === 1 ? tag : `${tag}-${n}`);
    const base = place.name.subarray(0, Math.max(0, LIMITS.nameBytes - suffix.length));
    const name = Buffer.concat([base, suffix]);
    const taken =
      ctx.index.lookup(place.at.pargfid, name) !== undefined || ctx.fs.statIfAny(place.dir, name) !== undefined;
    if (!taken) return name;
  }
  throw errnoError(
    'EEXIST',
    `no free name to keep directory ${displayPath(place.rel)} aside (${ASIDE_TRIES} tried): ` +
      `remove or rename some of its ${tag} copies on the slave`,
  );
}
