// The mass-delete brake in a live changelog turn (changelog-turn.ts). Before any batch of the
// turn is sent: a release the operator asked for is applied, the master root is checked, and
// what the turn's deletes would take from the slave is counted there (countRemovals). The
// verdict is the turn's DeleteHold, or none. Invariant: a turn counts all of its deletes before
// it sends one, so a mass delete never leaks out a batch at a time.

import { ROOT_GFID, escapeName, readChangelog } from '../changelog/index.js';
import type { Change, Gfid } from '../changelog/index.js';
import type { HeldDelete } from '../store/index.js';
import { LIMITS } from '../slave/index.js';
import type { RemoveOp } from '../slave/index.js';
import type { BatchPipeline } from './batch-pipeline.js';
import { processRecords } from './records-batch.js';
import type { DeleteBrake, DeleteHold, RemovalCount } from './delete-brake.js';
import type { MasterBase } from './master-base.js';
import { PROBLEM } from '../problem-codes.js';

/** Held deletes applied per batch when a release lets them go. */
const RELEASE_PAGE = 5000;

export interface BrakeVerdict {
  /** The turn holds its deletes (undefined: they go to the slave). */
  readonly hold: DeleteHold | undefined;
  /** Held deletes a release sent to the slave in this turn (its batches are in the turn's pipeline). */
  readonly released: number;
}

/**
 * Decides whether the turn that reads `files` (changelogs whose entry ops are still to apply)
 * holds its deletes; applies a requested release first, as batches of `turn`. `sinceMs` is the
 * sync time at the start of the turn: every change the turn reads was made after it.
 */
export async function brakeVerdict(
  m: MasterBase,
  turn: BatchPipeline,
  brake: DeleteBrake,
  files: readonly string[],
  sinceMs: number,
): Promise<BrakeVerdict> {
  const hold = deleteHold(brake, sinceMs);
  const releaseSeq = brake.releaseAsked();
  if (releaseSeq === undefined && brake.engaged) return { hold, released: 0 };
  const removes = turnRemoves(files);
  if (releaseSeq !== undefined) {
    // The operator has seen the cause and the root as they are: what was held up to the
    // request goes. What was held since, with this turn's deletes, is counted afresh.
    const late = heldAfter(brake, releaseSeq);
    const pending = [...removes, ...late];
    const cause = pending.length === 0 ? undefined : brake.limitCause(await countRemovals(m, pending));
    const released = await applyRelease(m, turn, brake, cause === undefined ? Number.MAX_SAFE_INTEGER : releaseSeq);
    brake.clear(released);
    if (cause === undefined) return { hold: undefined, released };
    brake.engage(cause);
    return { hold, released };
  }
  const cause =
    brake.rootCause(removes.length > 0) ??
    (removes.length === 0 ? undefined : brake.limitCause(await countRemovals(m, removes)));
  if (cause === undefined) return { hold: undefined, released: 0 };
  brake.engage(cause);
  return { hold, released: 0 };
}

/** Holds deletes in `brake`, each made after `sinceMs`; names held block what would take them. */
export function deleteHold(brake: DeleteBrake, sinceMs: number): DeleteHold {
  return {
    heldAt: (at) => brake.heldAt(at),
    hold: (items) => brake.hold(items.map((i) => ({ ...i, changeMs: sinceMs }))),
  };
}

/** The UNLINK/RMDIR records of the turn's changelogs, as the ops they would be. */
function turnRemoves(files: readonly string[]): RemoveOp[] {
  const out: RemoveOp[] = [];
  for (const f of files) {
    for (const c of readChangelog(f)) {
      const op = removeOpOf(c);
      if (op !== undefined) out.push(op);
    }
  }
  return out;
}

function heldAfter(brake: DeleteBrake, afterSeq: number): RemoveOp[] {
  const out: RemoveOp[] = [];
  for (let page = brake.held.page(afterSeq, RELEASE_PAGE); page.length > 0;) {
    for (const h of page)
      out.push({
        op: h.dir ? 'RMDIR' : 'UNLINK',
        gfid: h.gfid,
        entry: { pargfid: h.entry.pargfid, name: escapeName(h.entry.name) },
      });
    page = brake.held.page(page.at(-1)?.seq ?? Number.MAX_SAFE_INTEGER, RELEASE_PAGE);
  }
  return out;
}

/**
 * What removing `ops`, and purging unknown entries in `dirs`, would take from the slave, asked
 * in requests within the protocol's limits. Purged entries count on both sides: the slave's
 * index does not hold them.
 */
export async function countRemovals(
  m: MasterBase,
  ops: readonly RemoveOp[],
  dirs: readonly Gfid[] = [],
): Promise<RemovalCount> {
  const { slave, signal } = m.deps;
  let entries = 0;
  let unknown = 0;
  let total = 0;
  const ask = async (p: { ops: readonly RemoveOp[]; dirs: readonly Gfid[] }): Promise<void> => {
    const res = await slave.call('countRemovals', p, signal);
    entries += res.entries;
    unknown += res.unknown;
    total = res.total;
  };
  for (let start = 0; start < ops.length; start += LIMITS.opsPerBatch)
    await ask({ ops: ops.slice(start, start + LIMITS.opsPerBatch), dirs: [] });
  for (let start = 0; start < dirs.length; start += LIMITS.gfidsPerCall)
    await ask({ ops: [], dirs: dirs.slice(start, start + LIMITS.gfidsPerCall) });
  return { entries: entries + unknown, total: total + unknown };
}

/** The ops an UNLINK/RMDIR record stands for; undefined for any other record. */
export function removeOpOf(c: Change): RemoveOp | undefined {
  if (c.kind !== 'E' || (c.fop !== 'UNLINK' && c.fop !== 'RMDIR')) return undefined;
  return { op: c.fop, gfid: c.gfid, entry: { pargfid: c.entry.pargfid, name: escapeName(c.entry.name) } };
}

/**
 * Sends the held deletes up to `uptoSeq`, oldest first, each unless the master has its gfid at
 * its name again (UNLINK/RMDIR ops are applied by gfid on the slave, as any delete is),
 * and forgets them once their entry ops are applied. Entries a held delete blocked (ledger
 * DELETE_HELD) are due at once, and a held purge runs. Returns how many deletes were sent.
 */
async function applyRelease(m: MasterBase, turn: BatchPipeline, brake: DeleteBrake, uptoSeq: number): Promise<number> {
  const { deps } = m;
  let sent = 0;
  let after = 0;
  for (;;) {
    const page = brake.held.page(after, RELEASE_PAGE).filter((h) => h.seq <= uptoSeq);
    const last = page.at(-1);
    if (last === undefined) break;
    deps.index.forgetCachedPaths();
    const records = page.filter((h) => stillDeleted(m, h)).map(toRecord);
    await processRecords(deps, turn, records, 'changelog');
    brake.held.drop(after, last.seq);
    sent += records.length;
    after = last.seq;
  }
  const now = deps.clock.nowMs();
  deps.index.transaction(() => {
    for (const item of deps.index.ledgerAll())
      if (item.code === PROBLEM.DELETE_HELD) deps.index.ledgerRecord(item, now, now, 0);
  });
  if (brake.purgeHeld) await turn.purgeUnknown(indexedDirs(m)); // a full crawl's, held (crawl-brake.ts)
  return sent;
}

function toRecord(h: HeldDelete): Change {
  return { kind: 'E', gfid: h.gfid, fop: h.dir ? 'RMDIR' : 'UNLINK', entry: h.entry };
}

/**
 * The held delete still stands: the master's index no longer has its gfid at its name. Nothing
 * is there now, or a new entry is; the new entry reaches the slave only once this delete has
 * emptied the name, because the slave never deletes a directory holding entries it knows to
 * make room for another (rm -rf a; mkdir a under the brake: the new a failed ENOTEMPTY for good
 * while the held RMDIR of the old a was dropped).
 */
function stillDeleted(m: MasterBase, h: HeldDelete): boolean {
  return m.deps.index.lookup(h.entry.pargfid, h.entry.name)?.gfid !== h.gfid;
}

/** Every directory of the index, the root first: where a held purge looks for unknown entries. */
function indexedDirs(m: MasterBase): Gfid[] {
  const { index } = m.deps;
  const out: Gfid[] = [];
  const stack: Gfid[] = [ROOT_GFID];
  for (let g = stack.pop(); g !== undefined; g = stack.pop()) {
    out.push(g);
    for (const s of index.subdirs(g)) stack.push(s.gfid);
  }
  return out;
}
