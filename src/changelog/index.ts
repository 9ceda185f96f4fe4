// Public surface of src/changelog for other directories.
export * from './record.js';
export * from './entry-type.js';
export * from './name-codec.js';
export * from './name-check.js';
export * from './format.js';
export * from './changelog-name.js';
export * from './writer.js';
export * from './reader.js';
export * from './entry-stat.js';
export * from './crawl-position.js';
export * from './rel-path.js';
export * from './unpooled.js';
export * from './fs-call.js';
