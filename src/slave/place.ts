// Place: where an entry op acts (a name in a directory, resolved by gfid against the slave
// index and confined to ROOT), and how a place is cleared for a new entry. Invariant: a place is
// a directory descriptor walked from the root plus one name, and everything done there is done
// relative to that descriptor, never through a symlink; it is valid for the current scope (op).
// A directory holding entries the index knows is never deleted to clear a place (ENOTEMPTY);
// with ignore-deletes no directory holding anything is: it is kept (kept-dir.ts).

import { GeorepError } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import type { EntryStat } from './fs-at.js';
import { displayPath } from '../changelog/index.js';
import { decodeName } from './wire-names.js';
import type { WireEntry } from './protocol.js';
import { removeTree } from './remove-tree.js';
import { errnoError } from './op-failure.js';
import { holdsEntries, keepAside } from './kept-dir.js';
import type { ObjectType } from '../changelog/index.js';
import type { SlaveName } from './slave-index.js';

export interface Place {
  readonly at: SlaveName;
  /** Path relative to the root (messages, length checks). */
  readonly rel: Buffer;
  /** Descriptor of the directory holding the entry, walked from the root in this scope. */
  readonly dir: number;
  /** The entry's name in `dir` (at.name). */
  readonly name: Buffer;
  /**
   * The op that resolved it keeps what the master deletes (its keepDeleted, ignore-deletes): a
   * directory holding entries found here is kept aside, never refused (removeOccupant).
   */
  readonly keep: boolean;
}

/** lstat of what is at `place`, if anything (by descriptor; the master's lstatIfAny goes by path). */
export const statAt = (ctx: SlaveContext, place: Place): EntryStat | undefined =>
  ctx.fs.statIfAny(place.dir, place.name);

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
  ctx.confine.abs(rel); // PATH_TOO_LONG, as the master's limits count it
  return { at, rel, dir: ctx.confine.dir(dirRel), name: at.name, keep: false };
}

/** The place of an op's entry; `keep`: the op's keepDeleted (see Place.keep). */
export const resolvePlace = (ctx: SlaveContext, entry: WireEntry, keep = false): Place => ({
  ...placeOf(ctx, nameOf(entry)),
  keep,
});

/** What claimPlace found: the gfid already there, an unknown entry adopted for it, or a free place. */
export type Claim = 'present' | 'adopted' | 'free';

/**
 * Makes `place` ready to hold `gfid`. An entry the index does not know that `fits` (same type,
 * e.g. a pre-seeded file) is adopted: recorded for the gfid, content kept as rsync's basis.
 * Anything else there (another gfid, another type) is removed (removeOccupant: a directory
 * holding entries may be refused, or kept aside).
 */
export function claimPlace(
  ctx: SlaveContext,
  place: Place,
  gfid: Gfid,
  type: ObjectType,
  fits: (st: EntryStat) => boolean,
): Claim {
  const known = ctx.index.lookup(place.at.pargfid, place.at.name);
  const st = statAt(ctx, place);
  // Present by the index and on disk. The index alone is not enough: an entry gone from the
  // disk under an index that still names it was "present" to every retry, which then did
  // nothing while the master's ledger emptied (seeded random live test, seed 83). A file whose
  // data is on its way (a deferred CREATE) has no entry on disk yet and is present.
  if (known === gfid && (ctx.unwritten.has(gfid) || (st !== undefined && st.type === type))) return 'present';
  if (known === gfid) {
    ctx.log.warn('the slave index named an entry the disk does not hold as it says; made again', {
      path: displayPath(place.rel),
      gfid,
      found: st?.type ?? null,
    });
    if (st !== undefined) removeOccupant(ctx, place, st, known);
    else ctx.index.removeName(place.at);
    return 'free';
  }
  if (known === undefined && st !== undefined && fits(st)) {
    ctx.index.add(gfid, type, place.at);
    ctx.log.info('adopted an existing slave entry', { path: displayPath(place.rel), gfid, type });
    return 'adopted';
  }
  if (st !== undefined) removeOccupant(ctx, place, st, known);
  else if (known !== undefined) ctx.index.removeName(place.at);
  return 'free';
}

/**
 * Removes what occupies `place` (a directory with its whole subtree) and forgets it in the index.
 * A directory still holding entries the index knows is refused (ENOTEMPTY), never deleted: the
 * master replaces only an empty directory (rename(2) over a non-empty one fails there too), so
 * those entries are ones the master has moved elsewhere or removed in ops this slave has not
 * applied yet, say a move out that failed because its new parent was missing. Deleting them
 * lost confirmed subtrees the master never sent again (seeded random live test, seed 83: a burst
 * of directory renames over empty directories). The master retries the refused op from its
 * current state; by then the entries' own ops or retries have moved them out. What the index
 * does not know (a local user's files) goes, as does a directory whose known entries are gone.
 * With ignore-deletes (place.keep) those entries are ones the master deleted and nothing will
 * ever move out: refusing failed for ever, so a directory holding anything is kept aside instead
 * (kept-dir.ts); only an empty one is removed.
 */
export function removeOccupant(ctx: SlaveContext, place: Place, st: EntryStat, known: Gfid | undefined): void {
  if (st.type === 'dir' && place.keep && holdsEntries(ctx, place)) {
    keepAside(ctx, place, known);
    return;
  }
  if (st.type === 'dir' && known !== undefined) {
    const kept = knownEntryIn(ctx, known);
    if (kept !== undefined) {
      throw errnoError(
        'ENOTEMPTY',
        `directory ${displayPath(place.rel)} on the slave (gfid ${known}) still holds ${displayPath(kept)}, ` +
          'which the master has moved or removed in changes not applied here yet; it is not deleted to make room, ' +
          'and the master retries once that entry has gone (should this persist, the entry is stale on the slave: remove it there)',
      );
    }
  }
  removeTree(ctx.fs, place.dir, place.name);
  if (known !== undefined) ctx.index.removeName(place.at);
  ctx.confine.invalidate();
  ctx.log.info('replaced a slave entry', { path: displayPath(place.rel), was: st.type, gfid: known ?? null });
}

/** The path of an entry the index records in directory `dir` that the disk holds too, if any. */
function knownEntryIn(ctx: SlaveContext, dir: Gfid): Buffer | undefined {
  for (const name of ctx.index.childNames(dir)) {
    const child = placeOf(ctx, { pargfid: dir, name });
    if (statAt(ctx, child) !== undefined) return child.rel;
  }
  return undefined;
}
