// Engine axis, TarSSH: whole files through a tar stream; cheaper than rsync for many small files.

import { TarEngine } from '../../syncer/index.js';
import type { EngineOptions, SyncEngine, TarEngineConfig } from '../../syncer/index.js';

/**
 * The tar engine's settings for a session: owners are kept (--same-owner) when the agent runs as
 * root, as hello says. By this process's uid alone, a root master sent --same-owner to a
 * non-root remote user, whose tar then failed to chown every file owned by someone else.
 */
export function tarConfigOf(cfg: EngineOptions): TarEngineConfig {
  return cfg.slaveIsRoot === undefined ? cfg : { ...cfg, sameOwner: cfg.slaveIsRoot };
}

export class EngineTarssh {
  createEngine(cfg: EngineOptions): SyncEngine {
    return new TarEngine(tarConfigOf(cfg));
  }
}
