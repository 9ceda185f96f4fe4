// Engine axis, Rsync: delta transfer against the slave's current file (the default).

import { RsyncEngine } from '../../syncer/index.js';
import type { EngineOptions, SyncEngine } from '../../syncer/index.js';

export class EngineRsync {
  createEngine(cfg: EngineOptions): SyncEngine {
    return new RsyncEngine(cfg);
  }
}
