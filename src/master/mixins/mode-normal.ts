// Sync-mode axis, Normal: an indexed entry is sent again only when its attrs differ from the
// ones the slave confirmed; a slave bound to another master is refused; a full crawl purges
// slave entries the master never had.

import type { SyncedAttrs } from '../../changelog/index.js';
import type { IndexedEntry } from '../../store/index.js';
import type { Need } from '../crawler.js';
import { sameAttrs } from '../../changelog/index.js';

export class ModeNormal {
  classifyEntry(row: IndexedEntry, now: SyncedAttrs): Need {
    if (row.synced === null) return 'create';
    return sameAttrs(row.synced, now) ? 'none' : 'update';
  }
  rebindsForeignSlave(): boolean {
    return false;
  }
  trustsConfirmations(): boolean {
    return true;
  }
  purgesUnknown(): boolean {
    return true;
  }
}
