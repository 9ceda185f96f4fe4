// Public surface of src/slave for other directories: the protocol contract, the client the
// master uses to reach an agent, and runAgent for `georep slave ROOT`.
export * from './protocol.js';
export { PathClaims } from './path-claims.js';
export { checkName, decodeDirPath, decodeName, decodePath, decodeTarget } from './wire-names.js';
export { nsOf, timespecOf } from './timespec.js';
export type { SlaveCaller } from './client.js';
export { SlaveClient } from './client.js';
export { runAgent } from './rpc-server.js';
