// adopt: after a seed copy, records the master's gfid for each entry the copy made, provided
// it is what the master's crawl saw (AdoptItem). Anything that does not match is left alone:
// the master sends it the usual way (entry op, data by gfid), which replaces it. Invariant:
// adopt runs only after seedCommit on this connection (see SlaveContext.seed).

import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { PERM_MASK } from './entry-create.js';
import type { EntryStat } from './fs-at.js';
import { nsOf } from './timespec.js';
import { statAt, placeOf, resolvePlace } from './place.js';
import type { Place } from './place.js';
import { decodeTarget } from './wire-names.js';
import type { AdoptItem, Methods } from './protocol.js';
import type { ObjectType } from '../changelog/index.js';

export function adopt(ctx: SlaveContext, p: Methods['adopt']['params']): Methods['adopt']['result'] {
  if (ctx.seed !== 'adopting')
    throw new GeorepError('BAD_REQUEST', 'adopt is accepted only after a seed copy (seedCommit) on this connection');
  const adopted: number[] = [];
  const { items } = p;
  ctx.index.transaction(() => {
    for (let start = 0; start < items.length;) {
      // A run of items in one directory (a crawl lists a directory at a time) shares one scope,
      // so the directory is opened once for the run, not once per item: the open and close were
      // a fifth of the agent's time. Adoption only reads the tree (lstat, readlink), so holding
      // the descriptor across the run opens no gap. Runs are bounded to bound open descriptors.
      const pargfid = items[start]?.entry.pargfid;
      let end = start + 1;
      while (end < items.length && end - start < ADOPT_RUN && items[end]?.entry.pargfid === pargfid) end++;
      ctx.confine.scoped(() => {
        for (let i = start; i < end; i++) {
          ctx.hooks.beforeItem?.('adopt', i);
          const item = items[i];
          if (item !== undefined && adoptOne(ctx, item)) adopted.push(i);
        }
      });
      start = end;
    }
  });
  ctx.log.debug('adopted seeded entries', { items: p.items.length, adopted: adopted.length });
  return { adopted };
}

/**
 * Most items adopted in one scope. Each may hold descriptors (its directory, a link's first
 * name's; without openat2 one per path component): 32 keeps a run far below the open-file limit.
 */
const ADOPT_RUN = 32;

function adoptOne(ctx: SlaveContext, item: AdoptItem): boolean {
  const place = placeIfAny(ctx, item);
  if (place === undefined || ctx.index.lookup(place.at.pargfid, place.at.name) !== undefined) return false;
  const st = statAt(ctx, place);
  if (st === undefined) return false;
  const kind = item.kind;
  if (kind === 'link') {
    if (ctx.index.typeOf(item.gfid) !== 'file' || !sameInode(ctx, item, st)) return false;
    ctx.index.add(item.gfid, 'file', place.at);
    return true;
  }
  if (ctx.index.typeOf(item.gfid) !== undefined || !matches(ctx, item, kind, st, place)) return false;
  ctx.index.add(item.gfid, kind, place.at);
  return true;
}

/** The item's place, or undefined when its parent is not (or not safely) a known directory. */
function placeIfAny(ctx: SlaveContext, item: AdoptItem): Place | undefined {
  try {
    return resolvePlace(ctx, item.entry);
  } catch (e) {
    // An unknown parent (not adopted either), a symlink in the path: the usual way handles it.
    if (e instanceof GeorepError) return undefined;
    throw e;
  }
}

function sameInode(ctx: SlaveContext, item: AdoptItem, st: EntryStat): boolean {
  const first = ctx.index.firstName(item.gfid);
  if (first === undefined) return false;
  const src = statAt(ctx, placeOf(ctx, first));
  return src !== undefined && src.ino === st.ino && src.dev === st.dev;
}

function matches(ctx: SlaveContext, item: AdoptItem, kind: ObjectType, st: EntryStat, place: Place): boolean {
  if (ctx.isRoot && (st.uid !== item.uid || st.gid !== item.gid)) return false;
  if (kind !== 'symlink' && (st.mode & PERM_MASK) !== (item.mode & PERM_MASK)) return false;
  if (st.type !== kind) return false;
  switch (kind) {
    case 'file':
      return st.size === BigInt(item.size) && st.mtimeNs === nsOf(item.mtime);
    case 'symlink':
      return item.target !== undefined && ctx.fs.readlink(place.dir, place.name).equals(decodeTarget(item.target));
    case 'chardev':
    case 'blockdev':
      return st.rdev === item.rdev;
    case 'dir':
    case 'fifo':
      return true;
  }
}
