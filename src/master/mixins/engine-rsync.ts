// Engine axis, Rsync: delta transfer against the slave's current file (the default).

import type { SyncerConfig } from '../../config.js';
import { RsyncEngine } from '../../syncer/index.js';
import type { SyncEngine } from '../../syncer/index.js';

export class EngineRsync {
  createEngine(cfg: SyncerConfig): SyncEngine {
    return new RsyncEngine(cfg);
  }
}
