// CheckpointTracker: "is everything up to time T on the slave?" (gsyncd's checkpoint). The
// target comes from the session's `checkpoint` option (unix seconds, set with `georep
// checkpoint set`); completion is recorded once, with its time, in checkpoint.json. Invariant:
// completed only when the slave's stime has reached the target with nothing left to retry; a
// new target makes an old completion stale and it is forgotten.

import fs from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import type { Clock } from '../clock.js';
import type { FailureLedgerStore, HeldDeletes } from '../store/index.js';
import type { Logger } from '../log.js';

export interface CheckpointState {
  /** The target, unix ms: everything changed on the master before it must be on the slave. */
  readonly targetMs: number;
  /** When completion was noticed (unix ms); null while not reached. */
  readonly completedMs: number | null;
}

/** Parses the `checkpoint` option: '' (none) or unix seconds; undefined for none. */
export function checkpointTargetMs(value: string): number | undefined {
  if (value.trim() === '') return undefined;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? Math.floor(s) * 1000 : undefined;
}

export function readCheckpointState(file: string): CheckpointState | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // none recorded yet
  }
  try {
    const v = JSON.parse(raw) as Partial<CheckpointState>;
    if (typeof v.targetMs !== 'number') return undefined;
    return { targetMs: v.targetMs, completedMs: typeof v.completedMs === 'number' ? v.completedMs : null };
  } catch {
    return undefined; // damaged: evaluated afresh
  }
}

/**
 * What a checkpoint at a target waits for: failure-ledger items and deletes the mass-delete
 * brake holds whose change may have been made before it. A held delete is a change the slave
 * does not have, as a ledger item is: status must not say the slave holds the master as it was.
 */
export function pendingBefore(
  index: Pick<FailureLedgerStore, 'ledgerCountBefore'>,
  held: Pick<HeldDeletes, 'countBefore'>,
): (targetMs: number) => number {
  return (targetMs) => index.ledgerCountBefore(targetMs) + held.countBefore(targetMs);
}

export class CheckpointTracker {
  constructor(
    private readonly file: string,
    /** The target now configured, read afresh each time (the operator may set one at any moment). */
    private readonly readTargetMs: () => number | undefined,
    private readonly clock: Pick<Clock, 'nowMs'>,
    private readonly log: Logger,
  ) {}

  /**
   * Evaluates the checkpoint after a turn. `pendingBefore(target)` counts the failure-ledger
   * items (and held deletes, see pendingBefore) whose change may have been made before the target: stime alone must not complete a
   * checkpoint while one of those is not on the slave. Items changed after it do not hold it
   * back, so a checkpoint completes under a steady stream of newer failures too.
   */
  update(stimeMs: number, pendingBefore: (targetMs: number) => number): CheckpointState | undefined {
    const targetMs = this.readTargetMs();
    if (targetMs === undefined) return undefined;
    const known = readCheckpointState(this.file);
    let state: CheckpointState = known?.targetMs === targetMs ? known : { targetMs, completedMs: null };
    if (state.completedMs === null && stimeMs >= targetMs && pendingBefore(targetMs) === 0) {
      state = { targetMs, completedMs: this.clock.nowMs() };
      this.log.info('checkpoint completed', {
        event: 'checkpoint_completed',
        checkpointTime: new Date(targetMs).toISOString(),
        completionTime: new Date(state.completedMs ?? 0).toISOString(),
      });
    }
    if (known?.targetMs !== state.targetMs || known.completedMs !== state.completedMs) {
      writeFileAtomic(this.file, JSON.stringify(state) + '\n');
    }
    return state;
  }
}
