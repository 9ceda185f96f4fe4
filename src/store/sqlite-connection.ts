// SqliteConnection: the session index's one SQLite connection, shared by every role's statement
// group (names, digests, journal, ledger, meta). Invariants: a database SQLite calls corrupt is
// quarantined at open and replaced by an empty one (store-quarantine.ts), never fatal; met while
// open it is condemned, and this process ends so that the next open rebuilds it.

import fs from 'node:fs';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { GeorepError, isGeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { connect } from './sqlite-store.js';
import type { Db } from './sqlite-store.js';
import type { StoreConnection } from './store-connection.js';
import { withOpenLock } from './store-open-lock.js';
import { CONDEMNED_SUFFIX, checkIntegrity, condemn, isCorruption, openOrQuarantine } from './store-quarantine.js';

export interface OpenOptions {
  /** Names the quarantined file (`<path>.corrupt-<stamp>`). */
  readonly clock?: Pick<Clock, 'nowMs'>;
  /** Gets the quarantine event (store-quarantine.ts). */
  readonly log?: Logger;
  /**
   * Run `PRAGMA quick_check` at open (default true). The session's own processes do; a command
   * that only reads a few rows (failures, release) skips it: what it reads is checked as read.
   */
  readonly check?: boolean;
  /**
   * Called when the open quarantined a corrupt file, before the empty one is made (under the
   * open lock): state that describes the old file's gfids goes with it (session-index.ts).
   */
  readonly onQuarantine?: (aside: string) => void;
}

export class SqliteConnection implements StoreConnection {
  private constructor(
    readonly path: string,
    readonly db: Db,
    /** The inode this connection opened: another process may since have moved the file aside. */
    private readonly ino: number,
    /** Where a corrupt database was moved when this open replaced it; undefined if it did not. */
    readonly quarantined: string | undefined,
  ) {}

  /**
   * Opens (creating if needed) the database at `path`. A file that was condemned, is not a
   * database, or fails quick_check is moved aside and replaced by an empty one (`quarantined`
   * says where it went): the next crawl rebuilds it.
   */
  static open(path: string, opts: OpenOptions = {}): SqliteConnection {
    if (path === ':memory:') return new SqliteConnection(path, connect(path), 0, undefined);
    const check = opts.check ?? true;
    return withOpenLock(path, () => {
      const opened = openOrQuarantine(path, () => connectChecked(path, check), {
        what: 'gfid index',
        clock: opts.clock ?? systemClock,
        ...(opts.log === undefined ? {} : { log: opts.log }),
        ...(opts.onQuarantine === undefined ? {} : { onQuarantine: opts.onQuarantine }),
      });
      return new SqliteConnection(path, opened.store, fs.statSync(path).ino, opened.quarantined);
    });
  }

  transaction<T>(fn: () => T): T {
    if (!this.db.inTransaction) this.assertCurrent();
    // IMMEDIATE: take the write lock at BEGIN, waiting (busy timeout) for the other process.
    // A deferred transaction that reads, then writes after the other process committed,
    // gets SQLITE_BUSY at once, without waiting: the recorder and worker share this file.
    return this.guard(() => this.db.transaction(fn).immediate());
  }

  /**
   * Throws STATE_CORRUPT when the file this connection opened is no longer the session's: another
   * process condemned it or moved it aside (a quarantine). Writing on would write into the
   * quarantined file, and reading on would read it: this process ends, and its restart opens the
   * new one. Called before every outermost transaction, and by the recorder before it publishes.
   */
  assertCurrent(): void {
    if (this.path === ':memory:') return;
    let ino: number | undefined;
    try {
      ino = fs.statSync(this.path).ino;
    } catch {
      ino = undefined; // moved aside and not yet replaced
    }
    if (ino === this.ino && !fs.existsSync(this.path + CONDEMNED_SUFFIX)) return;
    throw new GeorepError(
      'STATE_CORRUPT',
      `gfid index ${this.path} was found corrupt by another georep process and is being rebuilt; this process ends so that it restarts on the new one`,
      { path: this.path },
    );
  }

  /**
   * Runs one operation. Corruption met here condemns the file (store-quarantine.ts) and fails
   * with STATE_CORRUPT, which ends the process: the file is shared with another process, which
   * would go on writing into it if this one moved it aside now, so the move waits for the next
   * open. Inside a transaction the error goes up unchanged, so the outermost transaction() rolls
   * back first and then condemns.
   */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      // Already this file's verdict (condemned, or moved aside by another process): as it is,
      // never a mark on the file that replaced it.
      if (!isCorruption(e) || this.db.inTransaction || (isGeorepError(e) && e.path === this.path)) throw e;
      if (this.path === ':memory:')
        throw new GeorepError('STATE_CORRUPT', 'the in-memory gfid index reports corruption', { cause: e });
      throw condemn(this.path, 'gfid index', e);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** connect() and, unless told not to, quick_check; the connection is closed if the check fails. */
function connectChecked(path: string, check: boolean): Db {
  const db = connect(path);
  if (!check) return db;
  try {
    checkIntegrity(db, 'gfid index', path);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
