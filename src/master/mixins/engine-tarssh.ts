// Engine axis, TarSSH: whole files through a tar stream; cheaper than rsync for many small files.

import { TarEngine } from '../../syncer/index.js';
import type { EngineOptions, SyncEngine } from '../../syncer/index.js';

export class EngineTarssh {
  createEngine(cfg: EngineOptions): SyncEngine {
    return new TarEngine(cfg);
  }
}
