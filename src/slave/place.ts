// Place: where an entry op acts (a name in a directory, resolved by gfid against the slave
// index and confined to ROOT), and how a place is cleared for a new entry. Invariant: an
// occupant is removed only after its parent chain was verified, and never through a symlink.

import { lstatSync, rmSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { GeorepError, hasErrno } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { displayPath } from './paths.js';
import { decodeName } from './protocol.js';
import type { WireEntry } from './protocol.js';
import type { ObjectType, SlaveName } from './slave-index.js';

export interface Place {
  readonly at: SlaveName;
  /** Path relative to the root. */
  readonly rel: Buffer;
  readonly abs: Buffer;
}

/** The object type of what lstat found ('socket' is never recorded: sockets are not replicated). */
export function statType(st: Stats): ObjectType | 'socket' {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'socket';
}

export const lstatIfAny = (abs: Buffer): Stats | undefined => lstatSync(abs, { throwIfNoEntry: false });

/** Decodes a wire entry (already validated) into a slave name. */
export function nameOf(entry: WireEntry): SlaveName {
  return { pargfid: entry.pargfid, name: decodeName(entry.name) };
}

/** Resolves a name under a directory gfid; GFID_UNKNOWN if the slave does not know the directory. */
export function placeOf(ctx: SlaveContext, at: SlaveName): Place {
  const dirRel = ctx.index.dirPath(at.pargfid);
  if (dirRel === undefined) {
    const type = ctx.index.typeOf(at.pargfid);
    if (type !== undefined && type !== 'dir') {
      throw new GeorepError('ENTRY_CONFLICT', `parent ${at.pargfid} is a ${type} on the slave, not a directory`, {
        path: at.pargfid,
      });
    }
    throw new GeorepError('GFID_UNKNOWN', `parent directory ${at.pargfid} is not known on the slave`, {
      path: at.pargfid,
    });
  }
  const rel = ctx.confine.childOf(dirRel, at.name);
  ctx.confine.assertDir(dirRel);
  return { at, rel, abs: ctx.confine.abs(rel) };
}

export const resolvePlace = (ctx: SlaveContext, entry: WireEntry): Place => placeOf(ctx, nameOf(entry));

/** What claimPlace found: the gfid already there, an unknown entry adopted for it, or a free place. */
export type Claim = 'present' | 'adopted' | 'free';

/**
 * Makes `place` ready to hold `gfid`. An entry the index does not know that `fits` (same type,
 * e.g. a pre-seeded file) is adopted: recorded for the gfid, content kept as rsync's basis.
 * Anything else there (another gfid, another type) is removed.
 */
export function claimPlace(
  ctx: SlaveContext,
  place: Place,
  gfid: Gfid,
  type: ObjectType,
  fits: (st: Stats) => boolean,
): Claim {
  const known = ctx.index.lookup(place.at.pargfid, place.at.name);
  if (known === gfid) return 'present';
  const st = lstatIfAny(place.abs);
  if (known === undefined && st !== undefined && fits(st)) {
    ctx.index.add(gfid, type, place.at);
    ctx.log.info('adopted an existing slave entry', { path: displayPath(place.rel), gfid, type });
    return 'adopted';
  }
  if (st !== undefined) removeOccupant(ctx, place, st, known);
  else if (known !== undefined) ctx.index.removeName(place.at);
  return 'free';
}

/** Removes what occupies `place` (a directory with its whole subtree) and forgets it in the index. */
export function removeOccupant(ctx: SlaveContext, place: Place, st: Stats, known: Gfid | undefined): void {
  // rmSync lstat()s each entry and unlinks symlinks rather than following them.
  if (st.isDirectory()) rmSync(place.abs, { recursive: true, force: true });
  else unlinkIfAny(place.abs);
  if (known !== undefined) ctx.index.removeName(place.at);
  ctx.confine.invalidate();
  ctx.log.info('replaced a slave entry', { path: displayPath(place.rel), was: statType(st), gfid: known ?? null });
}

export function unlinkIfAny(abs: Buffer): void {
  try {
    unlinkSync(abs);
  } catch (e) {
    if (!hasErrno(e, 'ENOENT')) throw e;
  }
}
