// Public surface of src/master for other directories.
export * from './oneshot.js';
