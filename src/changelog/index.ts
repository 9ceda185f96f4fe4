// Public surface of src/changelog for other directories.
export * from './record.js';
export * from './gfid-index.js';
export * from './name-codec.js';
