// metaOps: setattr by gfid (permission bits, owner when root, atime/mtime). Invariant: nothing
// is done through a symlink: lchown and lutimes act on the link itself, chmod skips symlinks.

import { chmodSync, lchownSync, lstatSync, lutimesSync } from 'node:fs';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import { dirOf } from './paths.js';
import type { MetaOp, OpFailure, Timespec } from './protocol.js';

/**
 * Node takes times as float seconds and the kernel call it makes truncates them to whole
 * microseconds. A double near 2^31 s is only exact to ~240 ns, so the value is taken from the
 * middle of its microsecond: truncation then lands on exactly that microsecond, never the one
 * below.
 */
export const toSeconds = (t: Timespec): number => nsToUtimeSeconds(BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec));

export function nsToUtimeSeconds(ns: bigint): number {
  const us = ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n);
  return (Number(us) + 0.5) / 1e6;
}

function setattr(ctx: SlaveContext, op: MetaOp): void {
  const rel = ctx.index.pathOf(op.gfid);
  if (rel === undefined)
    throw new GeorepError('GFID_UNKNOWN', `setattr of gfid ${op.gfid}, which the slave does not know`, {
      path: op.gfid,
    });
  if (rel.length > 0) ctx.confine.assertDir(dirOf(rel));
  const abs = ctx.confine.abs(rel);
  const st = lstatSync(abs, { bigint: true });
  // Only what differs is changed: a no-op setattr would still move ctime, and re-setting a
  // time rsync already set to the nanosecond would round it (see toSeconds).
  const chowned = ctx.isRoot && (Number(st.uid) !== op.uid || Number(st.gid) !== op.gid);
  // Owner before mode: chown clears setuid/setgid bits, so a chown forces the chmod.
  if (chowned) lchownSync(abs, op.uid, op.gid);
  // Linux has no lchmod; a symlink's own mode bits mean nothing anyway.
  if (!st.isSymbolicLink() && (chowned || (Number(st.mode) & 0o7777) !== (op.mode & 0o7777))) {
    chmodSync(abs, op.mode & 0o7777);
  }
  // lutimes (utimensat with AT_SYMLINK_NOFOLLOW) is utimes for anything but a symlink.
  if (!sameWithinResolution(st.mtimeNs, op.mtime)) lutimesSync(abs, toSeconds(op.atime), toSeconds(op.mtime));
}

/** Node's time resolution: anything closer than this cannot be set more exactly anyway. */
const TIME_RESOLUTION_NS = 1000n;

function sameWithinResolution(ns: bigint, t: Timespec): boolean {
  const want = BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
  const d = ns - want;
  return d < TIME_RESOLUTION_NS && d > -TIME_RESOLUTION_NS;
}

export function applyMetaOps(ctx: SlaveContext, ops: readonly MetaOp[]): { failures: OpFailure[] } {
  const failures = ctx.index.transaction(() => eachOp(ops, (op) => setattr(ctx, op), beforeItemOf(ctx, 'metaOps')));
  ctx.log.debug('meta ops applied', { ops: ops.length, failures: failures.length });
  return { failures };
}
