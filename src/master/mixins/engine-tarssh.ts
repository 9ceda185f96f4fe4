// Engine axis, TarSSH: whole files through a tar stream; cheaper than rsync for many small files.

import type { SyncerConfig } from '../../config.js';
import { TarEngine } from '../../syncer/index.js';
import type { SyncEngine } from '../../syncer/index.js';

export class EngineTarssh {
  createEngine(cfg: SyncerConfig): SyncEngine {
    return new TarEngine(cfg);
  }
}
