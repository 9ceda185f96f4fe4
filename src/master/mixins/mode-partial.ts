// Sync-mode axis, Partial (gsyncd: a master holding only part of the slave's data): like
// Normal, but entries on the slave that this master never sent are left alone, because
// another source may own them. Deletes of entries this master did send still propagate.

import { ModeNormal } from './mode-normal.js';

export class ModePartial extends ModeNormal {
  override purgesUnknown(): boolean {
    return false;
  }
}
