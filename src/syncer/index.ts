// Public surface of src/syncer for other directories.
export * from './job.js';
