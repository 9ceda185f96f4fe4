// FailureLedgerStore: the failure ledger's rows (master/failure-ledger.ts): one per gfid whose
// sync failed, kept until a retry lands it. Invariant: failures are counted and kept, never
// dropped; a checkpoint waits for the items whose change is older than its target.

import type { Gfid } from '../changelog/index.js';

/** A gfid whose sync failed, kept until a retry lands it (the failure ledger). */
export interface LedgerItem {
  readonly gfid: Gfid;
  /** Where it was when it last failed (display form). */
  readonly path: string;
  readonly code: string;
  readonly errno: string | null;
  readonly message: string;
  readonly attempts: number;
  /**
   * The earliest the change this item stands for can have been made (unix ms): the sync time
   * when the turn that first failed it began, the changes it read being all newer. A checkpoint
   * waits only for items below its target. Kept at its lowest across retries.
   */
  readonly changeMs: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** Not retried before this time (backoff). */
  readonly nextMs: number;
}

/** A failure as it is recorded: the item less what the ledger counts itself (attempts, times). */
export type LedgerFailure = Pick<LedgerItem, 'gfid' | 'path' | 'code' | 'errno' | 'message' | 'changeMs'>;

export interface FailureLedgerStore {
  /**
   * Records a failure of `gfid` (one more attempt, or a first one), to be retried from `nextMs`.
   * `attempts` 0 queues it without counting an attempt (a resync asked by the operator).
   */
  ledgerRecord(item: LedgerFailure, nowMs: number, nextMs: number, attempts?: 0 | 1): void;
  ledgerGet(gfid: Gfid): LedgerItem | undefined;
  /** Items whose backoff is over at `nowMs`, oldest failure first. */
  ledgerDue(nowMs: number): readonly LedgerItem[];
  ledgerAll(): readonly LedgerItem[];
  ledgerResolve(gfid: Gfid): void;
  ledgerCount(): number;
  /** Items whose change may have been made before `ms` (changeMs < ms): what a checkpoint at `ms` waits for. */
  ledgerCountBefore(ms: number): number;
}
