// Session meta: the small key/values the session index keeps beside its names (the meta table).
// Invariant: every key any georep process reads or writes is declared once, here, with what its
// value holds; getMeta/setMeta/deleteMeta take only these keys, so a misspelt key, or one two
// modules read differently, fails to compile instead of reading as "never set". The strings are
// the on-disk keys: renaming one is a schema change (older session folders hold them). Where a
// key's concept has a newer name in code (entry_stime, recorder.coveredMs), the line says so;
// store/sync-points.ts lists every time concept of a session with its one name.

/**
 * Every session meta key (as stored) → what its value holds. All values are strings; "unix ms"
 * is a decimal integer. Unset means what each line says.
 */
export const SESSION_META = {
  slaveId:
    'The slaveId of the slave index the confirmations describe; another id at hello means the slave was recreated (or its index rebuilt): confirmations are cleared and a full crawl sends everything',
  stime:
    'stime (sync-points.ts STIME_KEY): unix ms the slave was last brought up to: every change made before it is on the slave, but for failure-ledger items and held deletes older than it. Unset before the first completed turn',
  entry_stime:
    'The entry-ops position (sync-points.ts ENTRY_OPS_APPLIED_KEY; the key keeps its old name): the name of the last changelog file whose entry ops were applied (a file name, not a time): a retried turn skips the entry ops of files up to it',
  'xsync.position':
    "The last directory an xsync crawl flushed (crawl-position.ts encoding): the next crawl resumes after it; '' or unset: from the start",
  'slave.reverifyContent':
    "Why the slave's content is being re-verified (one line); present from a rebuild of either index until the full crawl after it completes (master/reverify.ts)",
  'crawl.fullPending':
    "'1' from the decision to crawl a new or recreated slave fully until that full crawl completed: the next run is full too (master/reverify.ts)",
  'brake.cause': 'Why the mass-delete brake is engaged (one line); unset while it is not',
  'brake.sinceMs': 'Unix ms the brake engaged',
  'brake.root': '`<st_dev>:<st_ino>` of the master root the session syncs, recorded on first sight',
  'brake.releaseSeq': '`georep release` asked to let go of the held deletes up to this seq',
  'brake.purgeHeld': "'1' when a full crawl's purge of unknown slave entries was held: the release runs it",
  'recorder.historyStartMs':
    'History start (RECORDER_KEYS.historyStart): unix ms from which the published changelogs describe every change; unset while the recorder has not built the index yet',
  'recorder.coveredMs':
    'Recorded-up-to (RECORDER_KEYS.recordedUpTo; the key keeps its old name): unix ms before which every change the watcher reported is in a published changelog',
  'recorder.rootXtimeMs': 'Unix ms of the last change recorded at or below the root (the root xtime)',
  'recorder.clockAnchor':
    'The clocks when recorded-up-to last moved (clock-anchor.ts: boot id, uptime and wall ms): a start looks again only at what changed since, by ctime, when no reboot or clock step came between',
  'recorder.lastChangelog':
    'The newest changelog file name handed out; names only grow, as a reused one would sort at or before the entry-ops position',
  'recorder.watching':
    "`<pid>:<unix ms>`: the recorder process that watches the master and since when all its watches are placed; a first live sync's seed copy starts after it",
  'recorder.reconcile.position':
    "The last directory a whole-tree reconcile committed (crawl-position.ts encoding): the next one resumes after it; '' or unset: from the start",
} as const;

/** A session meta key: one of SESSION_META's. */
export type MetaKey = keyof typeof SESSION_META;

/** The session's key/values (the meta table of the session index). */
export interface SessionMeta {
  getMeta(key: MetaKey): string | undefined;
  setMeta(key: MetaKey, value: string): void;
  deleteMeta(key: MetaKey): void;
}
