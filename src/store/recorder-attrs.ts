// RecorderAttrs: what the recorder last saw of each object (its r_* columns) and when it last
// recorded a change in or below it (the xtime, after GlusterFS's marker). Only the recorder
// writes them; a crawl never reads them, so they never touch a directory digest.

import type { Gfid, SyncedAttrs } from '../changelog/index.js';

export interface RecorderAttrs {
  /** What the recorder last saw of the object (null when it has not looked yet). */
  recordedOf(gfid: Gfid): SyncedAttrs | null;
  /** Records what the recorder saw, and the inode (and its birth time, 0n if none) it saw it on. */
  setRecorded(gfid: Gfid, attrs: SyncedAttrs, ino: bigint, btimeNs: bigint): void;
  /** When the recorder last recorded a change in or below the object (unix ms); undefined if never. */
  xtimeOf(gfid: Gfid): number | undefined;
  setXtime(gfid: Gfid, ms: number): void;
}
