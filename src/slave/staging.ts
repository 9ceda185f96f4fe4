// Staging: data by gfid, replaced atomically (DESIGN). Each data box gets its own folder
// <root>/.georep/staging/<box>/, where rsync writes every item at its master-relative path.
// stageData hard-links each gfid's live file there as rsync's delta basis (rsync writes a new
// file over the staging name, never into the live inode); commitData renames each result onto
// the names the slave's own index holds for the gfid, so a path the master computed earlier
// only ever names the staging file, never the place the data lands.

import { linkSync, lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { GeorepError, errnoOf, hasErrno } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import { dirOf, joinRel } from './paths.js';
import { lstatIfAny, placeOf } from './place.js';
import type { Place } from './place.js';
import { decodePath } from './protocol.js';
import type { Committed, Methods, StageItem } from './protocol.js';

type Result<M extends 'stageData' | 'commitData'> = Methods[M]['result'];

const SLASH = 0x2f;

/** Absolute staging path of an item (box and path were validated: plain components only). */
function stagedPath(ctx: SlaveContext, box: string, item: StageItem): Buffer {
  return Buffer.concat([Buffer.from(join(ctx.stagingDir, box) + '/'), decodePath(item.path)]);
}

/** The live places of a regular file gfid: its first name, then its other hard links. */
function livePlaces(ctx: SlaveContext, gfid: Gfid): Place[] {
  return ctx.index.namesOf(gfid).map((at) => placeOf(ctx, at));
}

export function stageData(ctx: SlaveContext, p: Methods['stageData']['params']): Result<'stageData'> {
  const unknown: Gfid[] = [];
  const boxDir = join(ctx.stagingDir, p.box);
  rmSync(boxDir, { recursive: true, force: true }); // a leftover of an interrupted box
  mkdirSync(boxDir, { mode: 0o700 });
  const made = new Set<string>();
  ctx.index.transaction(() => {
    for (const [i, item] of p.items.entries()) {
      ctx.hooks.beforeItem?.('stageData', i);
      const staged = stagedPath(ctx, p.box, item);
      makeParents(staged, boxDir.length, made);
      if (ctx.index.typeOf(item.gfid) === undefined) unknown.push(item.gfid);
      else if (p.basis) linkBasis(ctx, item.gfid, staged);
    }
  });
  ctx.log.debug('staged data', { box: p.box, items: p.items.length, unknown: unknown.length, basis: p.basis });
  return { unknown };
}

/** mkdir -p of the staged file's parents inside the box (rsync runs with --no-implied-dirs). */
function makeParents(staged: Buffer, boxDirLength: number, made: Set<string>): void {
  const parent = staged.subarray(0, staged.lastIndexOf(SLASH));
  if (parent.length <= boxDirLength) return;
  const key = parent.toString('latin1');
  if (made.has(key)) return;
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  made.add(key);
}

/** Errors that only cost the basis (rsync then sends the whole file; commit reports the gfid). */
const NO_BASIS_CODES = new Set(['PATH_ESCAPES_ROOT', 'PATH_TOO_LONG', 'GFID_UNKNOWN', 'ENTRY_CONFLICT']);

function linkBasis(ctx: SlaveContext, gfid: Gfid, staged: Buffer): void {
  try {
    // Not a regular file, or no file written yet (a deferred CREATE): no basis.
    if (ctx.unwritten.has(gfid)) return;
    const live = ctx.index.typeOf(gfid) === 'file' ? livePlaces(ctx, gfid)[0] : undefined;
    // No file yet (a deferred CREATE) or an empty one: nothing to delta against.
    const size = live === undefined ? 0 : (lstatIfAny(live.abs)?.size ?? 0);
    if (live !== undefined && size > 0) linkSync(live.abs, staged);
  } catch (e) {
    const known = e instanceof GeorepError ? NO_BASIS_CODES.has(e.code) : hasErrno(e, 'ENOENT', 'EMLINK', 'EPERM');
    if (!known) throw e;
    ctx.log.warn('no rsync basis for a staged file', { gfid, code: e instanceof GeorepError ? e.code : errnoOf(e) });
  }
}

export function commitData(ctx: SlaveContext, p: Methods['commitData']['params']): Result<'commitData'> {
  const missing: Gfid[] = [];
  const committed: Committed[] = [];
  try {
    const failures = ctx.index.transaction(() =>
      eachOp(
        p.items,
        (item) => {
          const done = commitOne(ctx, item.gfid, stagedPath(ctx, p.box, item));
          if (done === undefined) missing.push(item.gfid);
          else committed.push(done);
        },
        beforeItemOf(ctx, 'commitData'),
      ),
    );
    ctx.log.debug('committed data', {
      box: p.box,
      items: p.items.length,
      committed: committed.length,
      missing: missing.length,
      failures: failures.length,
    });
    return { committed, missing, failures };
  } finally {
    rmSync(join(ctx.stagingDir, p.box), { recursive: true, force: true }); // the box is done
  }
}

/** Commits one staged file; undefined when no regular file was staged for the gfid. */
function commitOne(ctx: SlaveContext, gfid: Gfid, staged: Buffer): Committed | undefined {
  const st = lstatSync(staged, { bigint: true, throwIfNoEntry: false });
  // Anything but a regular file (the master path turned into a directory or symlink while the
  // engine ran) is not this gfid's content: the master's next turn records what it became.
  if (st === undefined || !st.isFile()) return undefined;
  const type = ctx.index.typeOf(gfid);
  const [first, ...others] = type === 'file' ? livePlaces(ctx, gfid) : [];
  if (first === undefined) {
    rmSync(staged, { force: true });
    if (type === undefined)
      throw new GeorepError('GFID_UNKNOWN', `data for gfid ${gfid}, which the slave does not know`, { path: gfid });
    throw new GeorepError('ENTRY_CONFLICT', `data for gfid ${gfid} (a ${type} on the slave) is not a regular file`, {
      path: gfid,
    });
  }
  const live = ctx.unwritten.delete(gfid) ? undefined : lstatSync(first.abs, { bigint: true, throwIfNoEntry: false });
  if (live !== undefined && live.ino === st.ino && live.dev === st.dev) {
    rmSync(staged); // rsync left the basis as it was: the content is unchanged
    return committedOf(gfid, false, st);
  }
  renameSync(staged, first.abs); // atomic: readers see the old file or the new one
  for (const other of others) relink(ctx, first, other, gfid);
  return committedOf(gfid, true, st);
}

function committedOf(gfid: Gfid, replaced: boolean, st: BigIntStats): Committed {
  const sec = st.mtimeNs / 1_000_000_000n;
  return {
    gfid,
    replaced,
    size: Number(st.size),
    mtime: { sec: Number(sec), nsec: Number(st.mtimeNs - sec * 1_000_000_000n) },
  };
}

/** Points another hard-link name at the new file: link to a temp name beside it, rename over it. */
function relink(ctx: SlaveContext, first: Place, other: Place, gfid: Gfid): void {
  const tmp = ctx.confine.abs(joinRel(dirOf(other.rel), Buffer.from(`.georep-relink.${gfid}`)));
  rmSync(tmp, { force: true }); // a leftover of an interrupted commit
  linkSync(first.abs, tmp);
  renameSync(tmp, other.abs);
}
