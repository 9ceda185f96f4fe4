// StoreConnection: what every role of the session index shares: one SQLite connection, its
// transactions, and the check that its file is still the session's (store-quarantine.ts).

export interface StoreConnection {
  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T;

  /**
   * Throws STATE_CORRUPT when the file this index was opened from has since been condemned or
   * moved aside by another process (store-quarantine.ts): its answers are no longer the
   * session's. Cheap (a stat); transactions and the recorder's publish call it themselves.
   */
  assertCurrent(): void;

  close(): void;
}
