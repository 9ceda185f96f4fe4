// entryOps: applies a batch of entry ops in order, in one index transaction. Invariant: one
// op's failure (ENOSPC, EPERM, an unknown gfid…) becomes an OpFailure and the next op runs;
// each op walks from the root afresh (its own Confiner scope), and none names the root itself.

import { ROOT_GFID } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { applyCreate, applyLink, applyMkdir, applySymlink } from './entry-create.js';
import { applyMknod } from './entry-mknod.js';
import { applyRename, applyRmdir, applyUnlink } from './entry-move.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import type { EntryOp, OpFailure } from './protocol.js';

function applyOne(ctx: SlaveContext, op: EntryOp): void {
  // The root has no name and is never made, moved or removed: a MKDIR of its gfid elsewhere
  // would give it one (and the index a cycle), an RMDIR of that name would drop the whole index.
  if (op.gfid === ROOT_GFID)
    throw new GeorepError('ENTRY_CONFLICT', `${op.op} of the slave root's own gfid ${ROOT_GFID}`, { path: op.gfid });
  // The op's own applier: TypeScript cannot pair a union member with its table entry by itself.
  (APPLY[op.op] as (ctx: SlaveContext, op: EntryOp) => void)(ctx, op);
}

/** Which module applies each entry op (a table, so a new op without an applier does not compile). */
const APPLY: { readonly [K in EntryOp['op']]: (ctx: SlaveContext, op: Extract<EntryOp, { op: K }>) => void } = {
  CREATE: applyCreate,
  MKDIR: applyMkdir,
  MKNOD: applyMknod,
  SYMLINK: applySymlink,
  LINK: applyLink,
  RENAME: applyRename,
  UNLINK: applyUnlink,
  RMDIR: applyRmdir,
};

export function applyEntryOps(ctx: SlaveContext, ops: readonly EntryOp[]): { failures: OpFailure[] } {
  const failures = ctx.index.transaction(() =>
    eachOp(ops, (op) => ctx.confine.scoped(() => applyOne(ctx, op)), beforeItemOf(ctx, 'entryOps')),
  );
  ctx.log.debug('entry ops applied', { ops: ops.length, failures: failures.length });
  return { failures };
}
