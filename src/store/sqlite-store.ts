// SQLite store of the gfid index: connection settings and schema. A database SQLite reports
// corrupt is moved aside and replaced by an empty one (store-quarantine.ts), never repaired in
// place and never fatal; an empty index makes the next crawl rebuild it.

import Database from 'better-sqlite3';
import { GeorepError } from '../errors.js';

export type Db = Database.Database;

const SCHEMA_VERSION = 4;
/**
 * How long a statement waits for another connection's write to finish: the recorder and the
 * worker share the session's index (the recorder owns names, the worker the synced columns),
 * and a reconcile transaction can hold the write lock for a second or two.
 */
const BUSY_TIMEOUT_MS = 30_000;

/**
 * The failure ledger: one row per gfid whose sync failed, kept until a retry lands it. Created
 * by every open (IF NOT EXISTS), so a version-2 file gains it without a migration.
 */
const LEDGER = `
CREATE TABLE IF NOT EXISTS ledger (
  gfid TEXT PRIMARY KEY NOT NULL,
  path TEXT NOT NULL, code TEXT NOT NULL, errno TEXT, message TEXT NOT NULL,
  attempts INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL,
  change_ms INTEGER
) WITHOUT ROWID;
`;

/**
 * change_ms came after the ledger: a file without it gains it in place (NULL: unknown, which
 * holds back every checkpoint until the item lands, as before).
 */
function addLedgerChangeMs(db: Db): void {
  const cols = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('ledger');
  if (!cols.includes('change_ms')) db.exec('ALTER TABLE ledger ADD COLUMN change_ms INTEGER');
}

/**
 * names.synced (a name confirmed on the slave as a name of its gfid) came later too: a file
 * without it gains it in place, every name unconfirmed (each hard-linked name is then sent
 * once more, a no-op on the slave). The digest trigger on names is recreated to ignore it:
 * confirming a name changes nothing a crawl lists.
 */
function addNameSynced(db: Db): void {
  const cols = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('names');
  if (cols.includes('synced')) return;
  db.exec(`ALTER TABLE names ADD COLUMN synced INTEGER NOT NULL DEFAULT 0;
    DROP TRIGGER IF EXISTS names_update_digest;
    CREATE TRIGGER names_update_digest AFTER UPDATE OF pargfid, name, gfid ON names
    WHEN EXISTS (SELECT 1 FROM dir_digests) BEGIN
      DELETE FROM dir_digests WHERE gfid IN (OLD.pargfid, NEW.pargfid);
    END;`);
}

/**
 * The brake's held deletes (held-deletes.ts), one row each. AUTOINCREMENT: a seq is never reused, so "held up to seq N" (what
 * a release covers) never takes in a delete held after it. The unique key makes holding the
 * records of a replayed changelog a no-op. Created by every open (IF NOT EXISTS).
 */
const HELD_DELETES = `
CREATE TABLE IF NOT EXISTS held_deletes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  gfid TEXT NOT NULL, pargfid TEXT NOT NULL, name BLOB NOT NULL, dir INTEGER NOT NULL,
  change_ms INTEGER NOT NULL, held_ms INTEGER NOT NULL,
  UNIQUE (pargfid, name, gfid)
);
`;

/**
 * Directory digests: for a directory whose children are all confirmed on the slave as a crawl
 * listed them, a hash of their lstat (see master/dir-digest.ts), and the gfids of its
 * subdirectories in name order, comma-separated. A later crawl that computes the same hash
 * skips reading the children's rows and walks on into those subdirectories. The triggers make
 * a digest vouch for the index as well as for the master: any write to a child's name or to
 * the columns a crawl compares (type, inode, the synced attrs) deletes its parent's digest,
 * whichever process or code path makes it. The recorder's columns (r_*, xtime_ms) are left
 * out: a crawl does not read them, and so is a write that leaves the compared values as they
 * were (a confirmation repeated, the recorder noting the same inode). A trigger's WHEN also
 * skips its work while no digest exists (a first sync). Created by every open (IF NOT EXISTS): older files gain them without migrating.
 */
const DIGESTS = `
CREATE TABLE IF NOT EXISTS dir_digests (
  gfid TEXT PRIMARY KEY NOT NULL, digest BLOB NOT NULL, subdirs TEXT NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS names_insert_digest AFTER INSERT ON names WHEN EXISTS (SELECT 1 FROM dir_digests) BEGIN
  DELETE FROM dir_digests WHERE gfid = NEW.pargfid;
END;
CREATE TRIGGER IF NOT EXISTS names_delete_digest AFTER DELETE ON names WHEN EXISTS (SELECT 1 FROM dir_digests) BEGIN
  DELETE FROM dir_digests WHERE gfid = OLD.pargfid;
END;
CREATE TRIGGER IF NOT EXISTS names_update_digest AFTER UPDATE OF pargfid, name, gfid ON names WHEN EXISTS (SELECT 1 FROM dir_digests) BEGIN
  DELETE FROM dir_digests WHERE gfid IN (OLD.pargfid, NEW.pargfid);
END;
CREATE TRIGGER IF NOT EXISTS objects_update_digest
AFTER UPDATE OF type, ino, size, mtime_ns, ctime_ns, mode, uid, gid ON objects
WHEN (OLD.type IS NOT NEW.type OR OLD.ino IS NOT NEW.ino OR OLD.size IS NOT NEW.size
  OR OLD.mtime_ns IS NOT NEW.mtime_ns OR OLD.ctime_ns IS NOT NEW.ctime_ns OR OLD.mode IS NOT NEW.mode
  OR OLD.uid IS NOT NEW.uid OR OLD.gid IS NOT NEW.gid) AND EXISTS (SELECT 1 FROM dir_digests) BEGIN
  DELETE FROM dir_digests WHERE gfid IN (SELECT pargfid FROM names WHERE gfid = NEW.gfid);
END;
CREATE TRIGGER IF NOT EXISTS objects_delete_digest AFTER DELETE ON objects WHEN EXISTS (SELECT 1 FROM dir_digests) BEGIN
  DELETE FROM dir_digests WHERE gfid = OLD.gfid;
END;
`;

/**
 * Digests a crawl holds back until the entries it sends are confirmed (see
 * GfidIndex.stageDirDigest), with what it listed of each child: a digest is stored only once
 * every child's row says exactly that. Temp tables: they belong to this connection, and a
 * process that dies mid-turn leaves none behind. No triggers: the turn's own confirmations
 * are what the digests wait for.
 */
const STAGED_DIGESTS = `
CREATE TEMP TABLE IF NOT EXISTS staged_digests (
  gfid TEXT PRIMARY KEY NOT NULL, digest BLOB NOT NULL, subdirs TEXT NOT NULL, children INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS staged_children (
  dir TEXT NOT NULL, gfid TEXT NOT NULL, type TEXT NOT NULL, ino INTEGER NOT NULL,
  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
  mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL
);
`;

// WITHOUT ROWID: every lookup is by primary key, so the key is the row (no second b-tree).
// The synced columns are NULL until the slave confirmed the object; they are set together.
// The r_* columns are what the recorder last saw of the object (NULL until it looked), and
// xtime_ms when it last recorded a change in or below it (GlusterFS's marker xtime);
// btime_ns the inode's birth time it saw (0: the file system reports none); target a
// symlink's target, fixed for its gfid (see GfidIndex.targetOf). The
// journal holds records the recorder committed together with their index changes and has
// not yet published as a CHANGELOG file (see recorder/journal.ts).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  gfid TEXT PRIMARY KEY NOT NULL,
  type TEXT NOT NULL,
  ino INTEGER NOT NULL,
  size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, mode INTEGER, uid INTEGER, gid INTEGER,
  r_size INTEGER, r_mtime_ns INTEGER, r_ctime_ns INTEGER, r_mode INTEGER, r_uid INTEGER, r_gid INTEGER,
  xtime_ms INTEGER, btime_ns INTEGER, target BLOB
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_ino ON objects (ino);
CREATE TABLE IF NOT EXISTS names (
  pargfid TEXT NOT NULL,
  name BLOB NOT NULL,
  gfid TEXT NOT NULL,
  synced INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (pargfid, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS names_gfid ON names (gfid);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);
${LEDGER}${DIGESTS}`;

/** Version 1 (before the recorder) lacks the recorder's columns and journal; adding them keeps every gfid. */
const MIGRATE_FROM_1 = `
ALTER TABLE objects ADD COLUMN r_size INTEGER;
ALTER TABLE objects ADD COLUMN r_mtime_ns INTEGER;
ALTER TABLE objects ADD COLUMN r_ctime_ns INTEGER;
ALTER TABLE objects ADD COLUMN r_mode INTEGER;
ALTER TABLE objects ADD COLUMN r_uid INTEGER;
ALTER TABLE objects ADD COLUMN r_gid INTEGER;
ALTER TABLE objects ADD COLUMN xtime_ms INTEGER;
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);
`;

/** Version 2 lacks the birth time the recorder tells a reused inode from a renamed file by. */
const MIGRATE_FROM_2 = `ALTER TABLE objects ADD COLUMN btime_ns INTEGER;`;

/**
 * Version 3 lacks symlink targets. Its symlinks get theirs when next seen; until then a
 * retarget is found as before, by a change of size, mtime or birth time.
 */
const MIGRATE_FROM_3 = `ALTER TABLE objects ADD COLUMN target BLOB;`;

/**
 * Opens (creating if needed) and prepares a database. Damage surfaces as SQLite's error, or as
 * STATE_CORRUPT for a schema this code does not know (see store-quarantine.ts).
 */
/** SQLite's page cache of a session database, in KiB (see connect). */
export const STORE_CACHE_KIB = 6144;

export function connect(path: string): Db {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  let ok = false;
  try {
    if (path !== ':memory:') {
      // WAL + NORMAL: a power loss may lose the last commits but does not corrupt; the
      // recorder's reconcile scan re-derives anything lost.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = OFF');
    // Used only as needed, capped: a crawl transaction (~4096 entries, ~2 MiB of pages) stays
    // in memory; a first sync of 200k files filled the 16 MiB cap this was before.
    db.pragma(`cache_size = -${STORE_CACHE_KIB}`);
    // Checkpoint the WAL every 32 MiB rather than every 4 MiB (the default): a first crawl
    // writes every row and then updates it, and each checkpoint is an fsync of the database.
    db.pragma('wal_autocheckpoint = 8192');
    // ino and *_ns need all 64 bits (nanosecond times pass 2^53 in 1970 + 104 days).
    db.defaultSafeIntegers(true);
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version === 0) {
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } else if (version === SCHEMA_VERSION) {
      db.exec(LEDGER + DIGESTS);
    } else if (version >= 1 && version <= 3) {
      db.transaction(() => {
        if (version === 1) db.exec(MIGRATE_FROM_1);
        if (version <= 2) db.exec(MIGRATE_FROM_2);
        db.exec(MIGRATE_FROM_3);
        db.exec(LEDGER + DIGESTS);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } else if (version > SCHEMA_VERSION) {
      // A newer georep's index is refused, never moved aside: a downgrade must not lose it.
      throw new GeorepError(
        'STATE_TOO_NEW',
        `gfid index ${path} has schema version ${version}, written by a newer georep (this one reads ${SCHEMA_VERSION} and older); run that georep or a newer one, or remove the session folder to start over`,
        { path },
      );
    } else if (version !== SCHEMA_VERSION) {
      // A foreign layout is handled like damage: moved aside, rebuilt by a crawl.
      throw new GeorepError(
        'STATE_CORRUPT',
        `gfid index ${path} has schema version ${version}; this georep reads version ${SCHEMA_VERSION}`,
        { path },
      );
    }
    addLedgerChangeMs(db);
    addNameSynced(db);
    db.exec(HELD_DELETES);
    db.exec(STAGED_DIGESTS);
    // Touching every table's root page surfaces a damaged file now rather than mid-batch
    // (cheap: no scan).
    for (const t of ['objects', 'names', 'meta', 'journal', 'ledger', 'dir_digests', 'held_deletes'])
      db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get();
    ok = true;
    return db;
  } finally {
    if (!ok) db.close();
  }
}
