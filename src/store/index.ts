// Public surface of src/store (the session's state store) for other directories.
export * from './gfid-index.js';
export * from './store-connection.js';
export * from './name-index.js';
export * from './confirmations.js';
export * from './recorder-attrs.js';
export * from './digest-store.js';
export * from './record-journal.js';
export * from './failure-ledger-store.js';
export * from './session-meta.js';
export * from './sqlite-gfid-index.js';
export * from './store-quarantine.js';
export * from './held-deletes.js';
