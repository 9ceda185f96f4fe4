// Public surface of src/store (the session's state store) for other directories.
export * from './gfid-index.js';
export * from './session-meta.js';
export * from './sqlite-gfid-index.js';
export * from './store-quarantine.js';
export * from './held-deletes.js';
