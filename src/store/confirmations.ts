// Confirmations: what the slave confirmed of each object and name (the index's synced columns),
// written by the worker when a batch landed and read by a crawl to skip what is already there.
// Invariant: any change to a name or to a compared attribute drops the parent's digest (triggers).

import type { EntryName, Gfid, SyncedAttrs } from '../changelog/index.js';

export interface Confirmations {
  /** What the slave confirmed for a gfid (null when unconfirmed or unknown). */
  syncedOf(gfid: Gfid): SyncedAttrs | null;
  markSynced(gfid: Gfid, attrs: SyncedAttrs): void;
  /** The slave has `at` as a name of `gfid` (a hard-linked file's name it confirmed). */
  markNameSynced(gfid: Gfid, at: EntryName): void;
  /** Forget every confirmation (recover mode, or a slave found reset): the next crawl sends all. */
  clearSynced(): void;
}
