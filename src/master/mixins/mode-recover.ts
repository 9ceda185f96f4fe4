// Sync-mode axis, Recover: after the master was rebuilt or restored. The slave may be taken
// over from a previous master volume, and every entry is verified again rather than trusted
// from the index (entry ops are idempotent; rsync's ns quick check skips identical files).
// Like gsyncd's RecoverMixin(NormalMixin), it is Normal but for those answers: a full crawl
// still purges slave entries the master never had.

import type { SyncedAttrs } from '../../changelog/index.js';
import type { IndexedEntry } from '../../store/index.js';
import type { Need } from '../crawler.js';
import { ModeNormal } from './mode-normal.js';

export class ModeRecover extends ModeNormal {
  override classifyEntry(row: IndexedEntry, now: SyncedAttrs): Need {
    void row;
    void now;
    return 'create';
  }
  override rebindsForeignSlave(): boolean {
    return true;
  }
  /** Recover verifies every entry again: no confirmation, and no directory digest, is trusted. */
  override trustsConfirmations(): boolean {
    return false;
  }
}
