// LIMITS: the sizes both ends of the slave protocol enforce. Part of the contract (protocol.ts
// re-exports it); a file of its own so that the name decoders (wire-names.ts) use it without an
// import cycle. Each entry is tested at the limit and one past it, from both ends.

/** Limits, counted in bytes (Buffer.byteLength) where they are sizes. */
export const LIMITS = {
  /** One name (decoded bytes), as NAME_MAX. */
  nameBytes: 255,
  /** One path (decoded bytes), as PATH_MAX. */
  pathBytes: 4096,
  /** Entry or meta ops in one request. */
  opsPerBatch: 1000,
  /** gfids (or stage items) in one stageData/commitData/purgeUnknown request. */
  gfidsPerCall: 5000,
  /** A staging box name: short, and plain enough to be one path component anywhere. */
  boxNameBytes: 64,
  /** One JSON message (request or response line), in bytes. */
  messageBytes: 8 << 20,
  /** Entries in one listDir reply (a bigger directory comes in pages). */
  listEntries: 4096,
  /** Names in one hashFiles request, paths in one dropPaths request. */
  namesPerCall: 1000,
} as const;
