// Public surface of src/store (the session's state store) for other directories: the role
// interfaces and their value types, the SQLite index that implements them all, the brake's held
// deletes, and the corruption check and quarantine routine the slave's index shares.
export type { GfidIndex } from './gfid-index.js';
export type { StoreConnection } from './store-connection.js';
export type { IndexedEntry, NameIndex } from './name-index.js';
export type { Confirmations } from './confirmations.js';
export type { RecorderAttrs } from './recorder-attrs.js';
export type { DigestStore, DirDigest, StagedChild } from './digest-store.js';
export type { RecordJournal } from './record-journal.js';
export type { FailureLedgerStore, LedgerItem } from './failure-ledger-store.js';
export type { MetaKey, SessionMeta } from './session-meta.js';
export { SqliteGfidIndex } from './sqlite-gfid-index.js';
export type { HeldDelete, HeldDeletes, NewHeldDelete } from './held-deletes.js';
export { checkIntegrity, condemn, isCorruption, openOrQuarantine } from './store-quarantine.js';
export {
  ENTRY_OPS_APPLIED_KEY,
  STIME_KEY,
  forgetEntryOpsApplied,
  readEntryOpsApplied,
  readStime,
  writeEntryOpsApplied,
  writeStime,
} from './sync-points.js';
