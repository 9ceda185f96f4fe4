// metaOps: setattr by gfid (permission bits, owner when root, atime/mtime). Invariants: nothing
// is done through a symlink: owner and mode change the one inode opened O_PATH|O_NOFOLLOW at the
// place, times are set with utimensat(AT_SYMLINK_NOFOLLOW); times are exact to the nanosecond,
// before 1970 too; the slave root gets its times only (its mode and owner are the operator's).

import { ROOT_GFID } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { nsOf } from './timespec.js';
import type { EntryStat } from './fs-at.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import { placeOf } from './place.js';
import type { MetaOp, OpFailure } from './protocol.js';

const SELF = Buffer.alloc(0);

/** The entry's directory descriptor and name (its first name); for the root, the root's own descriptor and ''. */
function target(ctx: SlaveContext, op: MetaOp): { readonly dir: number; readonly name: Buffer } {
  if (op.gfid === ROOT_GFID) return { dir: ctx.confine.rootFd, name: SELF };
  const first = ctx.index.firstName(op.gfid);
  if (first === undefined)
    throw new GeorepError('GFID_UNKNOWN', `setattr of gfid ${op.gfid}, which the slave does not know`, {
      path: op.gfid,
    });
  return placeOf(ctx, first);
}

/** Only what differs is changed: a no-op chown or chmod would still move ctime. */
function ownerModeChanges(ctx: SlaveContext, op: MetaOp, st: EntryStat): { chown: boolean; chmod: boolean } {
  const chown = ctx.isRoot && (st.uid !== op.uid || st.gid !== op.gid);
  // Owner before mode: chown clears setuid/setgid bits, so a chown forces the chmod. Linux has
  // no lchmod; a symlink's own mode bits mean nothing anyway.
  return { chown, chmod: st.type !== 'symlink' && (chown || (st.mode & 0o7777) !== (op.mode & 0o7777)) };
}

function setattr(ctx: SlaveContext, op: MetaOp): void {
  const { fs } = ctx;
  const at = target(ctx, op);
  const st = fs.stat(at.dir, at.name);
  const wanted = ownerModeChanges(ctx, op, st);
  if (at.name.length > 0 && (wanted.chown || wanted.chmod)) {
    // Owner and mode go to one inode, the one at the name when it is opened here (O_PATH,
    // not followed if a symlink), judged again from its own stat: never another entry swapped
    // in between two calls.
    const fd = ctx.confine.track(fs.open(at.dir, at.name, fs.c.O_PATH | fs.c.O_NOFOLLOW));
    const change = ownerModeChanges(ctx, op, fs.stat(fd, SELF));
    if (change.chown) fs.chown(fd, SELF, op.uid, op.gid);
    if (change.chmod) fs.chmod(fd, SELF, op.mode & 0o7777);
  }
  // An mtime already right (rsync set it, or a replayed op) is left alone: setting it again
  // would only move ctime. atime alone is not worth that.
  if (st.mtimeNs === nsOf(op.mtime)) return;
  // utimensat(AT_SYMLINK_NOFOLLOW) on the name in its verified directory: one plain *at call
  // (a time on whatever a local user put at the name meanwhile is harmless, and never followed).
  fs.utimes(at.dir, at.name, op.atime, op.mtime);
}

export function applyMetaOps(ctx: SlaveContext, ops: readonly MetaOp[]): { failures: OpFailure[] } {
  const failures = ctx.index.transaction(() =>
    eachOp(ops, (op) => ctx.confine.scoped(() => setattr(ctx, op)), beforeItemOf(ctx, 'metaOps')),
  );
  ctx.log.debug('meta ops applied', { ops: ops.length, failures: failures.length });
  return { failures };
}
