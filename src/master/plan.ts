// Plan: what one changelog batch asks of the slave, in the order it must be applied: entry ops,
// then data (by gfid), then metadata (after data, so directory mtimes are final), plus what the
// index may record once the slave confirms it.

import type { EntryName, Gfid, SyncedAttrs } from '../changelog/index.js';
import type { EntryOp, MetaOp } from '../slave/index.js';
import type { DataItem } from '../syncer/index.js';

export interface Plan {
  readonly batch: string;
  readonly entryOps: readonly EntryOp[];
  /** Data items by quick-check mode: 'off' for D records that prove a change, 'ns' for crawl finds. */
  readonly dataOff: readonly DataItem[];
  readonly dataNs: readonly DataItem[];
  readonly metaOps: readonly MetaOp[];
  /** Attrs to mark as confirmed per gfid, once every op naming it succeeded. */
  readonly confirm: ReadonlyMap<Gfid, SyncedAttrs>;
  /** Names of hard-linked files this batch makes on the slave, to mark confirmed with their gfid. */
  readonly confirmNames: readonly { readonly gfid: Gfid; readonly at: EntryName }[];
  /** Names to drop from the index once their UNLINK/RMDIR succeeded. */
  readonly deletions: readonly { readonly gfid: Gfid; readonly entry: EntryName; readonly dir: boolean }[];
  /** Current master path (root-relative bytes) of every gfid the plan names, for data items and messages. */
  readonly paths: ReadonlyMap<Gfid, Buffer>;
  /**
   * Live changelogs only: gfids the recorder still has but whose recorded path is gone (the
   * tree moved on and the recorder has not caught up). Their records were skipped, so the
   * batch must be processed again before the stime may pass it.
   */
  readonly unresolved: readonly Gfid[];
  /** Deletes the mass-delete brake holds back (not sent): this batch's UNLINK/RMDIR records. */
  readonly held: readonly HeldRecord[];
  /**
   * gfids whose entry op would have taken a name whose delete is held (replacing, on the
   * slave, what the brake keeps there): not sent, synced again after the release.
   */
  readonly blocked: readonly Gfid[];
}

/** A delete the brake holds: the name the master removed, and whether it was a directory. */
export interface HeldRecord {
  readonly gfid: Gfid;
  readonly entry: EntryName;
  readonly dir: boolean;
}
