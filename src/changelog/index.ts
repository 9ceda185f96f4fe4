// Public surface of src/changelog for other directories.
export * from './record.js';
export * from './gfid-index.js';
export * from './session-meta.js';
export * from './entry-type.js';
export * from './name-codec.js';
export * from './name-check.js';
export * from './format.js';
export * from './changelog-name.js';
export * from './writer.js';
export * from './reader.js';
export * from './sqlite-gfid-index.js';
export * from './store-quarantine.js';
export * from './held-deletes.js';
export * from './entry-stat.js';
export * from './crawl-position.js';
export * from './rel-path.js';
export * from './unpooled.js';
