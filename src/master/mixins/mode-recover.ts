// Sync-mode axis, Recover: after the master was rebuilt or restored. The slave may be taken
// over from a previous master volume, and every entry is verified again rather than trusted
// from the index (entry ops are idempotent; rsync's ns quick check skips identical files).

import type { SyncedAttrs } from '../../changelog/index.js';
import type { IndexedEntry } from '../../store/index.js';
import type { Need } from '../crawler.js';

export class ModeRecover {
  classifyEntry(row: IndexedEntry, now: SyncedAttrs): Need {
    void row;
    void now;
    return 'create';
  }
  rebindsForeignSlave(): boolean {
    return true;
  }
  /** Recover verifies every entry again: no confirmation, and no directory digest, is trusted. */
  trustsConfirmations(): boolean {
    return false;
  }
  purgesUnknown(): boolean {
    return true;
  }
}
