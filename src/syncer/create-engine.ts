// createEngine: the sync-method option picks the SyncEngine the Syncer drives (the engine axis
// of the master's mixins stays this thin). A typed table, so a new method fails to compile until wired.

import type { SyncMethod, SyncerConfig } from '../config.js';
import type { RemoteTarget, SyncEngine } from './engine.js';
import { RsyncEngine } from './rsync-engine.js';
import { ExecaSpawner } from './spawner.js';
import type { Spawner } from './spawner.js';
import { TarEngine } from './tar-engine.js';

export type EngineOptions = SyncerConfig & {
  /** Set for a slave on another host; its sshCommand is normally the session's ssh-command. */
  readonly remote?: RemoteTarget;
  /** The extracting side runs as root (hello's isRoot): tar keeps owners. Default: are we root. */
  readonly slaveIsRoot?: boolean;
};

const ENGINES: Record<SyncMethod, (o: EngineOptions, spawner: Spawner) => SyncEngine> = {
  rsync: (o, spawner) => new RsyncEngine(o, { spawner }),
  tarssh: (o, spawner) =>
    new TarEngine(o.slaveIsRoot === undefined ? o : { ...o, sameOwner: o.slaveIsRoot }, { spawner }),
};

export function createEngine(opts: EngineOptions, spawner: Spawner = new ExecaSpawner()): SyncEngine {
  return ENGINES[opts.syncMethod](opts, spawner);
}
