// Staging: data by gfid, replaced atomically (DESIGN). stageData hard-links each gfid's live
// file into <root>/.georep/staging/<gfid> as rsync's delta basis (rsync writes a new file over
// the staging name, never into the live inode); commitData renames the result onto every name.

import { linkSync, lstatSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError, errnoOf, hasErrno } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { eachOp } from './op-failure.js';
import { dirOf, joinRel } from './paths.js';
import { lstatIfAny, placeOf } from './place.js';
import type { Place } from './place.js';
import type { Methods } from './protocol.js';

type Result<M extends 'stageData' | 'commitData'> = Methods[M]['result'];

const stagedPath = (ctx: SlaveContext, gfid: Gfid): string => join(ctx.stagingDir, gfid);

/** The live places of a regular file gfid: its first name, then its other hard links. */
function livePlaces(ctx: SlaveContext, gfid: Gfid): Place[] {
  return ctx.index.namesOf(gfid).map((at) => placeOf(ctx, at));
}

export function stageData(ctx: SlaveContext, p: Methods['stageData']['params']): Result<'stageData'> {
  const unknown: Gfid[] = [];
  ctx.index.transaction(() => {
    for (const gfid of p.gfids) {
      const staged = stagedPath(ctx, gfid);
      rmSync(staged, { recursive: true, force: true }); // a leftover of an interrupted batch
      if (ctx.index.typeOf(gfid) === undefined) unknown.push(gfid);
      else if (p.basis) linkBasis(ctx, gfid, staged);
    }
  });
  ctx.log.info('staged data', { gfids: p.gfids.length, unknown: unknown.length, basis: p.basis });
  return { unknown };
}

/** Errors that only cost the basis (rsync then sends the whole file; commit reports the gfid). */
const NO_BASIS_CODES = new Set(['PATH_ESCAPES_ROOT', 'PATH_TOO_LONG', 'GFID_UNKNOWN', 'ENTRY_CONFLICT']);

function linkBasis(ctx: SlaveContext, gfid: Gfid, staged: string): void {
  try {
    // Not a regular file: no basis.
    const live = ctx.index.typeOf(gfid) === 'file' ? livePlaces(ctx, gfid)[0] : undefined;
    // An empty file (a CREATE awaiting its first data) has nothing to delta against.
    if (live !== undefined && lstatSync(live.abs).size > 0) linkSync(live.abs, staged);
  } catch (e) {
    const known = e instanceof GeorepError ? NO_BASIS_CODES.has(e.code) : hasErrno(e, 'ENOENT', 'EMLINK', 'EPERM');
    if (!known) throw e;
    ctx.log.warn('no rsync basis for a staged file', { gfid, code: e instanceof GeorepError ? e.code : errnoOf(e) });
  }
}

export function commitData(ctx: SlaveContext, p: Methods['commitData']['params']): Result<'commitData'> {
  const missing: Gfid[] = [];
  let committed = 0;
  const failures = ctx.index.transaction(() =>
    eachOp(p.gfids.map((gfid) => ({ gfid })), ({ gfid }) => {
      if (commitOne(ctx, gfid)) committed += 1;
      else missing.push(gfid);
    }),
  );
  ctx.log.info('committed data', { gfids: p.gfids.length, committed, missing: missing.length, failures: failures.length });
  return { committed, missing, failures };
}

/** Commits one staged file; false when nothing was staged for the gfid. */
function commitOne(ctx: SlaveContext, gfid: Gfid): boolean {
  const staged = stagedPath(ctx, gfid);
  const st = lstatSync(staged, { throwIfNoEntry: false });
  if (st === undefined) return false;
  const type = ctx.index.typeOf(gfid);
  const [first, ...others] = type === 'file' && st.isFile() ? livePlaces(ctx, gfid) : [];
  if (first === undefined) {
    rmSync(staged, { recursive: true, force: true });
    if (type === undefined) throw new GeorepError('GFID_UNKNOWN', `data for gfid ${gfid}, which the slave does not know`, { path: gfid });
    throw new GeorepError('ENTRY_CONFLICT', `data for gfid ${gfid} (a ${type} on the slave) is not a regular file`, { path: gfid });
  }
  const live = lstatIfAny(first.abs);
  if (live !== undefined && live.ino === st.ino && live.dev === st.dev) {
    rmSync(staged); // rsync left the basis as it was: the content is unchanged
    return true;
  }
  renameSync(staged, first.abs); // atomic: readers see the old file or the new one
  for (const other of others) relink(ctx, first, other, gfid);
  return true;
}

/** Points another hard-link name at the new file: link to a temp name beside it, rename over it. */
function relink(ctx: SlaveContext, first: Place, other: Place, gfid: Gfid): void {
  const tmp = ctx.confine.abs(joinRel(dirOf(other.rel), Buffer.from(`.georep-relink.${gfid}`)));
  rmSync(tmp, { force: true }); // a leftover of an interrupted commit
  linkSync(first.abs, tmp);
  renameSync(tmp, other.abs);
}
