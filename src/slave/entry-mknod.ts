// MKNOD: FIFOs (any user), devices (root only); sockets are not replicated (no use without
// their listening process). Invariant: the node is made at its place with mknodat, relative to
// the place's directory descriptor (no tool, no temporary name, no path resolved again).

import { constants } from 'node:fs';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { PERM_MASK, applyCreate, linkGfid, setOwnerMode } from './entry-create.js';
import { errnoError } from './op-failure.js';
import { displayPath } from '../changelog/index.js';
import { claimPlace, resolvePlace } from './place.js';
import type { EntryOp } from './protocol.js';
import type { ObjectType } from '../changelog/index.js';

type MknodOp = Extract<EntryOp, { op: 'MKNOD' }>;
type NodeType = Extract<ObjectType, 'fifo' | 'chardev' | 'blockdev'>;

function nodeType(mode: number): NodeType | 'file' | 'socket' | undefined {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFIFO:
      return 'fifo';
    case constants.S_IFCHR:
      return 'chardev';
    case constants.S_IFBLK:
      return 'blockdev';
    case constants.S_IFREG:
      return 'file';
    case constants.S_IFSOCK:
      return 'socket';
    default:
      return undefined;
  }
}

export function applyMknod(ctx: SlaveContext, op: MknodOp): void {
  const type = nodeType(op.mode);
  if (type === 'file') return applyCreate(ctx, { ...op, op: 'CREATE' });
  if (type === 'socket') {
    ctx.log.warn('not replicating a socket', { gfid: op.gfid, name: op.entry.name });
    return;
  }
  if (type === undefined)
    throw errnoError('EINVAL', `MKNOD of gfid ${op.gfid} with mode 0${op.mode.toString(8)}, which is no node type`);
  if (type !== 'fifo' && !ctx.isRoot)
    throw errnoError('EPERM', `${type} ${op.entry.name}: device nodes need the slave agent to run as root`);
  const place = resolvePlace(ctx, op.entry, op.keepDeleted === true);
  const known = ctx.index.typeOf(op.gfid);
  if (known !== undefined && known !== type) {
    throw new GeorepError('ENTRY_CONFLICT', `gfid ${op.gfid} is a ${known} on the slave, not a ${type}`, {
      path: op.gfid,
    });
  }
  if (known !== undefined) return linkGfid(ctx, op.gfid, type, place);
  const claim = claimPlace(
    ctx,
    place,
    op.gfid,
    type,
    (st) => st.type === type && st.nlink === 1 && (type === 'fifo' || st.rdev === op.rdev),
  );
  if (claim === 'present') return;
  if (claim === 'free') {
    // The umask may cut the permission bits; setOwnerMode puts them back.
    ctx.fs.mknod(
      place.dir,
      place.name,
      (op.mode & constants.S_IFMT) | (op.mode & PERM_MASK),
      type === 'fifo' ? 0 : op.rdev,
    );
  }
  setOwnerMode(ctx, place, op.mode, op.uid, op.gid);
  if (claim === 'free') ctx.index.add(op.gfid, type, place.at);
  ctx.log.debug('made a special file', { path: displayPath(place.rel), type });
}
