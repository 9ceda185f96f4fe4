// HeldDeletes: the deletes the mass-delete brake holds back (master/delete-brake.ts), one row
// per removed name, kept in the session's index until `georep release` lets them reach the
// slave. A narrow store of its own (seed 004's one broker per role), on the index's connection
// so that holding commits with the index changes around it.

import type { EntryName, Gfid } from '../changelog/index.js';

/** One delete the brake holds: a name the master removed, which the slave still has. */
export interface HeldDelete {
  /** Order of holding (grows; the release takes what was held up to a seq). */
  readonly seq: number;
  readonly gfid: Gfid;
  readonly entry: EntryName;
  /** RMDIR (the directory with whatever the slave has below it) rather than UNLINK. */
  readonly dir: boolean;
  /**
   * The earliest the delete can have been made (unix ms): the sync time when the turn that
   * held it began. A checkpoint waits for held deletes below its target, as for ledger items.
   */
  readonly changeMs: number;
  /** When it was held (unix ms). */
  readonly heldMs: number;
}

export type NewHeldDelete = Pick<HeldDelete, 'gfid' | 'entry' | 'dir' | 'changeMs'>;

export interface HeldDeletes {
  /** Holds each delete; one already held (the same gfid at the same name) is kept as it was. */
  hold(items: readonly NewHeldDelete[], nowMs: number): void;
  /** Held deletes with a seq above `afterSeq`, oldest first, at most `limit`. */
  page(afterSeq: number, limit: number): readonly HeldDelete[];
  count(): number;
  /** Held deletes whose change may have been made before `ms`: what a checkpoint at `ms` waits for. */
  countBefore(ms: number): number;
  /** The newest seq held (0 when none ever was). */
  lastSeq(): number;
  /** A delete of this name is held (the slave still has what the master removed there). */
  heldAt(at: EntryName): boolean;
  /** Forgets the held deletes with seq in (afterSeq, uptoSeq]. */
  drop(afterSeq: number, uptoSeq: number): void;
}
