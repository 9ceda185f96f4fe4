// Staging: data by gfid, replaced atomically (DESIGN). Each data box gets its own folder
// <root>/.georep/staging/<box>/, where rsync writes every item at its master-relative path.
// stageData hard-links each gfid's live file there as rsync's delta basis (rsync writes a new
// file over the staging name, never into the live inode); commitData renames each result onto
// the names the slave's own index holds for the gfid, so a path the master computed earlier
// only ever names the staging file, never the place the data lands. Invariant: the agent reaches
// the box through a descriptor of the state folder walked from the root on every request, and
// each link and rename is made between two directory descriptors (linkat, renameat): neither
// end can be redirected by a directory swapped for a symlink.

import { constants as osConstants } from 'node:os';
import { GeorepError, errnoOf, hasErrno } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { keepDirTimes } from './dir-times.js';
import type { EntryStat } from './fs-at.js';
import { sysError } from './fs-at.js';
import { timespecOf } from './timespec.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import { statAt, placeOf } from './place.js';
import type { Place } from './place.js';
import { decodePath } from './wire-names.js';
import type { Committed, Methods } from './protocol.js';
import { removeTree } from './remove-tree.js';
import { SLAVE_STATE_FILES } from '../session-files.js';

type Result<M extends 'stageData' | 'commitData'> = Methods[M]['result'];

const { ENOENT, ENOTDIR, ELOOP, EEXIST } = osConstants.errno;

/** Where an item's staged file is: a folder of the box (by descriptor) and the file's name. */
interface Staged {
  readonly dir: number;
  readonly name: Buffer;
}

/**
 * One staging box, held by descriptor for one request. Its folders are the agent's own, made
 * by stageData inside the 0700 state folder; they are walked with O_NOFOLLOW all the same.
 * Descriptors go to the scope that is current when the box is walked (the request's).
 */
class Box {
  private readonly dirs = new Map<string, number>();

  constructor(
    private readonly ctx: SlaveContext,
    private readonly fd: number,
  ) {}

  /** Opens box `name` in the staging folder; undefined when it does not exist (or is no folder). */
  static openIfAny(ctx: SlaveContext, staging: number, name: Buffer): Box | undefined {
    const fd = ctx.fs.tryOpen(staging, name, dirFlags(ctx));
    if (fd === -ENOENT || fd === -ENOTDIR || fd === -ELOOP) return undefined;
    if (fd < 0) throw sysError(fd, 'openat', name);
    return new Box(ctx, ctx.confine.track(fd));
  }

  /**
   * The folder and name of item path `rel` in the box. `make`: mkdir -p its folders (rsync runs
   * with --no-implied-dirs); otherwise undefined when one is missing or is no folder.
   */
  staged(rel: Buffer, make: boolean): Staged | undefined {
    const slash = rel.lastIndexOf(0x2f);
    if (slash < 0) return { dir: this.fd, name: rel };
    let dir = this.fd;
    for (let start = 0; start <= slash;) {
      const end = rel.indexOf(0x2f, start);
      const key = rel.subarray(0, end).toString('latin1');
      const known = this.dirs.get(key);
      if (known !== undefined) dir = known;
      else {
        const next = this.enter(dir, rel.subarray(start, end), make);
        if (next === undefined) return undefined;
        this.dirs.set(key, next);
        dir = next;
      }
      start = end + 1;
    }
    return { dir, name: rel.subarray(slash + 1) };
  }

  private enter(parent: number, name: Buffer, make: boolean): number | undefined {
    const { fs } = this.ctx;
    if (make) {
      try {
        fs.mkdir(parent, name, 0o700);
      } catch (e) {
        if (!hasErrno(e, 'EEXIST')) throw e;
      }
    }
    const fd = fs.tryOpen(parent, name, dirFlags(this.ctx));
    if (fd >= 0) return this.ctx.confine.track(fd);
    if (!make && (fd === -ENOENT || fd === -ENOTDIR || fd === -ELOOP)) return undefined;
    throw sysError(fd === -ENOTDIR || fd === -ELOOP ? -EEXIST : fd, 'mkdirat', name);
  }
}

const dirFlags = (ctx: SlaveContext): number => ctx.fs.c.O_PATH | ctx.fs.c.O_DIRECTORY | ctx.fs.c.O_NOFOLLOW;

/** The live places of a regular file gfid: its first name, then its other hard links. */
function livePlaces(ctx: SlaveContext, gfid: Gfid): Place[] {
  return ctx.index.namesOf(gfid).map((at) => placeOf(ctx, at));
}

export function stageData(ctx: SlaveContext, p: Methods['stageData']['params']): Result<'stageData'> {
  const unknown: Gfid[] = [];
  const boxName = Buffer.from(p.box);
  ctx.confine.scoped(() => {
    const staging = ctx.confine.stateDir(SLAVE_STATE_FILES.staging);
    removeTree(ctx.fs, staging, boxName); // a leftover of an interrupted box
    ctx.fs.mkdir(staging, boxName, 0o700);
    const box = Box.openIfAny(ctx, staging, boxName);
    if (box === undefined) throw sysError(-ENOENT, 'openat', boxName); // removed under our feet
    ctx.index.transaction(() => {
      for (const [i, item] of p.items.entries()) {
        ctx.hooks.beforeItem?.('stageData', i);
        const staged = box.staged(decodePath(item.path), true) as Staged; // make: never undefined
        if (ctx.index.typeOf(item.gfid) === undefined) unknown.push(item.gfid);
        // The live file is walked to afresh for each item, in a scope of its own.
        else if (p.basis) ctx.confine.scoped(() => linkBasis(ctx, item.gfid, staged));
      }
    });
  });
  ctx.log.debug('staged data', { box: p.box, items: p.items.length, unknown: unknown.length, basis: p.basis });
  return { unknown };
}

/** Errors that only cost the basis (rsync then sends the whole file; commit reports the gfid). */
const NO_BASIS_CODES = new Set(['PATH_ESCAPES_ROOT', 'PATH_TOO_LONG', 'GFID_UNKNOWN', 'ENTRY_CONFLICT']);

function linkBasis(ctx: SlaveContext, gfid: Gfid, staged: Staged): void {
  try {
    // No file written yet (a deferred CREATE), or not a regular file: no basis.
    if (ctx.unwritten.has(gfid) || ctx.index.typeOf(gfid) !== 'file') return;
    const first = ctx.index.firstName(gfid);
    const live = first === undefined ? undefined : placeOf(ctx, first);
    // An empty file: nothing to delta against.
    if (live !== undefined && (statAt(ctx, live)?.size ?? 0n) > 0n)
      ctx.fs.link(live.dir, live.name, staged.dir, staged.name);
  } catch (e) {
    const known = e instanceof GeorepError ? NO_BASIS_CODES.has(e.code) : hasErrno(e, 'ENOENT', 'EMLINK', 'EPERM');
    if (!known) throw e;
    ctx.log.warn('no rsync basis for a staged file', { gfid, code: e instanceof GeorepError ? e.code : errnoOf(e) });
  }
}

export function commitData(ctx: SlaveContext, p: Methods['commitData']['params']): Result<'commitData'> {
  const missing: Gfid[] = [];
  const committed: Committed[] = [];
  const boxName = Buffer.from(p.box);
  return ctx.confine.scoped(() => {
    const staging = ctx.confine.stateDir(SLAVE_STATE_FILES.staging);
    try {
      const box = Box.openIfAny(ctx, staging, boxName);
      const failures = ctx.index.transaction(() =>
        eachOp(
          p.items,
          (item) => {
            const staged = box?.staged(decodePath(item.path), false);
            const done = staged === undefined ? undefined : ctx.confine.scoped(() => commitOne(ctx, item.gfid, staged));
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
      removeTree(ctx.fs, staging, boxName); // the box is done
    }
  });
}

/** Commits one staged file; undefined when no regular file was staged for the gfid. */
function commitOne(ctx: SlaveContext, gfid: Gfid, staged: Staged): Committed | undefined {
  const st = ctx.fs.statIfAny(staged.dir, staged.name);
  // Anything but a regular file (the master path turned into a directory or symlink while the
  // engine ran) is not this gfid's content: the master's next turn records what it became.
  if (st === undefined || st.type !== 'file') return undefined;
  const type = ctx.index.typeOf(gfid);
  const [first, ...others] = type === 'file' ? livePlaces(ctx, gfid) : [];
  if (first === undefined) {
    ctx.fs.unlinkIfAny(staged.dir, staged.name);
    if (type === undefined)
      throw new GeorepError('GFID_UNKNOWN', `data for gfid ${gfid}, which the slave does not know`, { path: gfid });
    throw new GeorepError('ENTRY_CONFLICT', `data for gfid ${gfid} (a ${type} on the slave) is not a regular file`, {
      path: gfid,
    });
  }
  const live = ctx.unwritten.delete(gfid) ? undefined : statAt(ctx, first);
  if (live !== undefined && live.ino === st.ino && live.dev === st.dev) {
    ctx.fs.unlinkIfAny(staged.dir, staged.name); // rsync left the basis as it was: the content is unchanged
    return committedOf(gfid, false, st);
  }
  // Atomic: readers see the old file or the new one. The rename is how georep replaces content,
  // not a change of the directory: its times are kept (a directory's times come from the
  // master, by meta op; a commit landing after that op once left them at the moment of the
  // rename, seen on the first sync of a tree whose hard-link names sit in different batches).
  keepDirTimes(ctx.fs, first.dir, () => ctx.fs.rename(staged.dir, staged.name, first.dir, first.name));
  for (const other of others) relink(ctx, first, other, gfid);
  return committedOf(gfid, true, st);
}

function committedOf(gfid: Gfid, replaced: boolean, st: EntryStat): Committed {
  return { gfid, replaced, size: Number(st.size), mtime: timespecOf(st.mtimeNs) };
}

/** Points another hard-link name at the new file: link to a temp name beside it, rename over it. */
function relink(ctx: SlaveContext, first: Place, other: Place, gfid: Gfid): void {
  const tmp = Buffer.from(`.georep-relink.${gfid}`);
  keepDirTimes(ctx.fs, other.dir, () => {
    ctx.fs.unlinkIfAny(other.dir, tmp); // a leftover of an interrupted commit
    ctx.fs.link(first.dir, first.name, other.dir, tmp);
    ctx.fs.rename(other.dir, tmp, other.dir, other.name);
  });
}
