// Public surface of src/slave for other directories.
export * from './protocol.js';
