// Public surface of src/syncer for other directories.
export * from './job.js';
export { Syncer } from './syncer.js';
export type { SyncerDeps, SyncerOptions } from './syncer.js';
export { PostBox } from './postbox.js';
export type { Delivery, Selector } from './postbox.js';
export { ENGINE_FAILURE_CODE } from './engine.js';
export type {
  EngineDeps,
  EngineName,
  EngineOptions,
  RemoteTarget,
  SyncEngine,
  TransferRequest,
  TransferResult,
} from './engine.js';
export { RsyncEngine, buildRsyncCommand } from './rsync-engine.js';
export type { RsyncEngineConfig } from './rsync-engine.js';
export { TarEngine, buildTarCommands } from './tar-engine.js';
export type { TarEngineConfig } from './tar-engine.js';
export { ExecaSpawner, preloadSpawner } from './spawner.js';
export type { Command, PipeOutcome, RunOptions, SpawnOutcome, Spawner } from './spawner.js';
export { TransferError, isTransferError } from './transfer-error.js';
export { RSYNC_EXIT_CODES, classifyRsyncExit, rsyncExitMeaning } from './rsync-exit.js';
export { SeedCopy, cpCommand, sourceGroups } from './seed-copy.js';
export type { SeedCopyRequest, SeedCopyResult } from './seed-copy.js';
