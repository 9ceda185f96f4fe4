// Subtree resync: a directory and every entry below it queued in the failure ledger as RESYNC,
// to be synced again from the master's current state. One walk for every asker: `georep resync`
// (by path), a live turn whose slave lost a directory (failure-ledger.ts) and `georep repair`.
// Invariant: parents come before their children, so a retry makes each directory first.

import { ROOT_GFID, displayPath } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import type { FailureLedgerStore, NameIndex, StoreConnection } from '../store/index.js';
import { PROBLEM } from '../problem-codes.js';

/**
 * `top` and every gfid below it, parents before children: a directory's files as the directory
 * is reached, its subdirectories after, depth first. A hard-linked file comes once for each of
 * its names in the subtree.
 */
export function* subtreeOf(index: Pick<NameIndex, 'children'>, top: Gfid): Generator<Gfid> {
  const stack: Gfid[] = [top];
  for (let g = stack.pop(); g !== undefined; g = stack.pop()) {
    yield g;
    for (const child of index.children(g)) {
      if (child.type === 'dir') stack.push(child.gfid);
      else yield child.gfid;
    }
  }
}

export interface SubtreeResync {
  /** Why it was queued, as `georep failures` shows it. */
  readonly message: string;
  /** The earliest the change can have been made: a checkpoint set after it waits for the items. */
  readonly changeMs: number;
  readonly nowMs: number;
  /**
   * An entry already in the ledger: 'requeue' files it again as RESYNC, due now (the operator
   * asked for it); 'keep' leaves it as it is, its own cause and backoff being the truer account
   * (a turn that just filed it).
   */
  readonly held: 'requeue' | 'keep';
}

/**
 * Queues `top` and everything below it to be synced again, each item due at once and with no
 * attempt counted; returns how many were filed. The root itself is not queued (its subtree is):
 * it has no name to make, and the slave's root is the session's from the hello on.
 */
export function queueSubtree(
  index: Pick<NameIndex, 'children' | 'pathOf'> &
    Pick<FailureLedgerStore, 'ledgerGet' | 'ledgerRecord'> &
    Pick<StoreConnection, 'transaction'>,
  top: Gfid,
  how: SubtreeResync,
): number {
  const { message, changeMs, nowMs } = how;
  let n = 0;
  // All of the subtree or none of it (a savepoint inside a turn's own transaction).
  index.transaction(() => {
    for (const g of subtreeOf(index, top)) {
      if (g === ROOT_GFID) continue;
      if (how.held === 'keep' && index.ledgerGet(g) !== undefined) continue;
      const where = index.pathOf(g);
      const path = where === undefined ? g : displayPath(where);
      index.ledgerRecord({ gfid: g, path, code: PROBLEM.RESYNC, errno: null, message, changeMs }, nowMs, nowMs, 0);
      n++;
    }
  });
  return n;
}
