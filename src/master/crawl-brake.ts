// The mass-delete brake in a crawl (hybrid or one-shot). The crawl's deletes (names that
// vanished from the master) are kept back while it walks, and the purge of unknown slave
// entries waits for the end anyway; then both are counted on the slave, together, before any
// is sent. A one-shot sync over the limits (or with the master root emptied, replaced or
// unmounted) sends none of them and fails, unless --allow-mass-delete; a live hybrid crawl
// holds its purge and engages the brake, until `georep release` runs it.

import type { Change, Gfid } from '../changelog/index.js';
import type { BatchPipeline } from './batch-pipeline.js';
import { processRecords } from './records-batch.js';
import { countRemovals, deleteHold, removeOpOf } from './brake-turn.js';
import type { RecordSink } from './crawler.js';
import type { DeleteBrake, DeleteHold } from './delete-brake.js';
import type { MasterBase } from './master-base.js';
import type { MasterDeps } from './master-deps.js';
import { PROBLEM } from '../problem-codes.js';

/**
 * Before a live hybrid crawl sends anything: a master root that is not the session's engages
 * the brake, and while it is engaged the crawl's batches hold their deletes and block what
 * would take a held name (a full crawl's changes may be of any age: held as made at 0).
 */
export function liveCrawlHold(brake: DeleteBrake): DeleteHold | undefined {
  if (!brake.engaged) {
    const cause = brake.rootCause(false);
    if (cause !== undefined) brake.engage(cause);
  }
  return brake.engaged ? deleteHold(brake, 0) : undefined;
}

/** A RecordSink that keeps the crawl's UNLINK/RMDIR records in `deferred` instead of its batches. */
export function deferDeletes(sink: RecordSink, deferred: Change[]): RecordSink {
  return {
    append: (c) => {
      if (removeOpOf(c) !== undefined) deferred.push(c);
      else sink.append(c);
    },
    get pending() {
      return sink.pending;
    },
    flush: () => sink.flush(),
  };
}

/**
 * Decides, once the crawl's batches are sent, whether its deferred deletes and its purge of
 * `purgeDirs` (none: no purge) may reach the slave. A purge after a seed copy only removes what
 * the copy made, never the operator's entries: it is neither counted nor held.
 */
export async function gateCrawlDeletes(
  m: MasterBase,
  brake: DeleteBrake,
  deferred: readonly Change[],
  purgeDirs: readonly Gfid[] | undefined,
  seeded: boolean,
): Promise<{ readonly sendDeletes: boolean; readonly purge: boolean }> {
  const { deps } = m;
  const live = deps.consumer !== undefined;
  const counted = seeded ? [] : (purgeDirs ?? []);
  if (live && brake.engaged) {
    if (counted.length > 0) brake.holdPurge();
    return { sendDeletes: false, purge: seeded };
  }
  const ops = deferred.flatMap((c) => removeOpOf(c) ?? []);
  const count = ops.length + counted.length === 0 ? undefined : await countRemovals(m, ops, counted);
  const pending = (count?.entries ?? 0) > 0;
  const cause = brake.rootCause(pending) ?? (count === undefined ? undefined : brake.limitCause(count));
  if (cause === undefined || (!live && !pending)) return { sendDeletes: true, purge: purgeDirs !== undefined };
  if (live) {
    brake.engage(cause);
    if (counted.length > 0) brake.holdPurge();
    return { sendDeletes: false, purge: seeded };
  }
  if (deps.allowMassDelete === true) {
    brake.acceptRoot();
    deps.log.warn(`deleting anyway (--allow-mass-delete): ${cause}`, {
      event: 'delete_brake',
      action: 'allowed',
      cause,
    });
    return { sendDeletes: true, purge: purgeDirs !== undefined };
  }
  const message = `${cause}; nothing was deleted on the slave: rerun with --allow-mass-delete to delete ${count?.entries ?? 0} ${count?.entries === 1 ? 'entry' : 'entries'}`;
  deps.log.warn(message, { event: 'delete_brake', action: 'refused', cause });
  m.stats.addFailures([{ path: deps.rootPath, code: PROBLEM.MASS_DELETE, message }]);
  return { sendDeletes: false, purge: seeded };
}

/** Sends the crawl's deferred deletes as one more batch of `turn` (after every other batch of the crawl). */
export async function sendDeferred(
  deps: Pick<MasterDeps, 'xsyncDir' | 'clock'>,
  turn: BatchPipeline,
  deferred: readonly Change[],
): Promise<void> {
  await processRecords(deps, turn, deferred, 'crawl');
}
