// MKNOD: FIFOs (mkfifo, any user), devices (mknod, root only); sockets are not replicated (no
// use without their listening process). Invariant: a node is built in <root>/.georep/tmp and
// renamed into place, because the tools take string arguments and a name may be any bytes.

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, constants } from 'node:fs';
import { join } from 'node:path';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { PERM_MASK, applyCreate, linkGfid, setOwnerMode } from './entry-create.js';
import { errnoError } from './op-failure.js';
import { displayPath } from './paths.js';
import { claimPlace, resolvePlace, statType } from './place.js';
import type { EntryOp } from './protocol.js';
import type { ObjectType } from './slave-index.js';

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
  const place = resolvePlace(ctx, op.entry);
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
    (st) => statType(st) === type && st.nlink === 1 && (type === 'fifo' || st.rdev === op.rdev),
  );
  if (claim === 'present') return;
  if (claim === 'free') {
    const tmp = makeNode(ctx, type, op.mode & PERM_MASK, op.rdev);
    try {
      renameSync(tmp, place.abs);
    } finally {
      rmSync(tmp, { force: true }); // gone after a successful rename; a leftover otherwise
    }
  }
  setOwnerMode(ctx, place.abs, op.mode, op.uid, op.gid);
  if (claim === 'free') ctx.index.add(op.gfid, type, place.at);
  ctx.log.debug('made a special file', { path: displayPath(place.rel), type });
}

/** Linux dev_t → major/minor (glibc's gnu_dev_major/minor encoding, as Node's stat().rdev). */
export function splitRdev(rdev: number): { major: bigint; minor: bigint } {
  const r = BigInt(rdev);
  return { major: ((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn), minor: (r & 0xffn) | ((r >> 12n) & ~0xffn) };
}

function makeNode(ctx: SlaveContext, type: NodeType, perm: number, rdev: number): string {
  const tmp = join(ctx.tmpDir, `${type}-${randomUUID()}`);
  const mode = perm.toString(8);
  const { major, minor } = splitRdev(rdev);
  const [cmd, args] =
    type === 'fifo'
      ? ['mkfifo', ['-m', mode, tmp]]
      : ['mknod', ['-m', mode, tmp, type === 'chardev' ? 'c' : 'b', String(major), String(minor)]];
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const stderr = r.stderr.trim();
    throw errnoError(guessErrno(stderr), `${cmd} failed: ${stderr}`);
  }
  return tmp;
}

/** The coreutils tools report strerror() text; map the ones a caller can act on. */
function guessErrno(stderr: string): string {
  if (stderr.includes('Operation not permitted')) return 'EPERM';
  if (stderr.includes('Permission denied')) return 'EACCES';
  if (stderr.includes('No space left')) return 'ENOSPC';
  if (stderr.includes('Read-only file system')) return 'EROFS';
  return 'EIO';
}
