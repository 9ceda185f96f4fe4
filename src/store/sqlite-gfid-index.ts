// SqliteGfidIndex: the GfidIndex on better-sqlite3, one database and one connection per open. The
// names, confirmations and recorder attributes are SqliteNames' (sqlite-names.ts), which it
// extends; it hands the other roles to their own statement groups on the same connection
// (sqlite-digests.ts, sqlite-journal.ts, sqlite-ledger.ts, sqlite-meta.ts). The connection
// opens, quarantines and guards against corruption (sqlite-connection.ts): a database SQLite
// calls corrupt is never fatal, and never repaired in place.

import type { Gfid } from '../changelog/index.js';
import type { DirDigest, StagedChild } from './digest-store.js';
import type { LedgerFailure, LedgerItem } from './failure-ledger-store.js';
import type { GfidIndex } from './gfid-index.js';
import type { HeldDeletes } from './held-deletes.js';
import type { MetaKey } from './session-meta.js';
import { SqliteConnection } from './sqlite-connection.js';
import type { OpenOptions } from './sqlite-connection.js';
import { SqliteDigests } from './sqlite-digests.js';
import { SqliteHeldDeletes } from './sqlite-held-deletes.js';
import { SqliteJournal } from './sqlite-journal.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { SqliteMeta } from './sqlite-meta.js';
import { SqliteNames } from './sqlite-names.js';

export type { OpenOptions } from './sqlite-connection.js';

export class SqliteGfidIndex extends SqliteNames implements GfidIndex {
  private readonly digests: SqliteDigests;
  private readonly journal: SqliteJournal;
  private readonly ledger: SqliteLedger;
  private readonly meta: SqliteMeta;
  private held: HeldDeletes | undefined;

  private constructor(conn: SqliteConnection, digests: SqliteDigests) {
    super(conn, digests);
    this.digests = digests;
    this.journal = new SqliteJournal(conn);
    this.ledger = new SqliteLedger(conn);
    this.meta = new SqliteMeta(conn);
  }

  /**
   * Opens (creating if needed) the index at `path`. A file that was condemned, is not a
   * database, or fails quick_check is moved aside and replaced by an empty one (`quarantined`
   * says where it went): the next crawl rebuilds it.
   */
  static open(path: string, opts: OpenOptions = {}): SqliteGfidIndex {
    const conn = SqliteConnection.open(path, opts);
    return new SqliteGfidIndex(conn, new SqliteDigests(conn));
  }

  get path(): string {
    return this.conn.path;
  }

  /** Where a corrupt database was moved when this open replaced it; undefined if it did not. */
  get quarantined(): string | undefined {
    return this.conn.quarantined;
  }

  transaction<T>(fn: () => T): T {
    let ok = false;
    try {
      const result = this.conn.transaction(fn);
      ok = true;
      return result;
    } finally {
      // Paths cached inside a rolled-back transaction may describe names that never were.
      if (!ok) this.forgetDirs();
    }
  }

  /** See SqliteConnection.assertCurrent: this file is still the session's. */
  assertCurrent(): void {
    this.conn.assertCurrent();
  }

  close(): void {
    this.conn.close();
  }

  /**
   * The mass-delete brake's held deletes, in this database and on this connection: holding
   * inside transaction() commits or rolls back with the index changes around it.
   */
  heldDeletes(): HeldDeletes {
    this.held ??= new SqliteHeldDeletes((fn) => this.guard(() => fn(this.conn.db)));
    return this.held;
  }

  /**
   * Caps SQLite's page cache of this connection (KiB). A reader that reads each row once (a
   * verify walk) gains nothing from the default 16 MiB, which grows with the part of the index read.
   */
  setCacheKiB(kib: number): void {
    this.conn.db.pragma(`cache_size = -${Math.max(64, Math.floor(kib))}`);
  }

  dirDigest(gfid: Gfid): DirDigest | undefined {
    return this.digests.dirDigest(gfid);
  }

  setDirDigest(gfid: Gfid, d: DirDigest): void {
    this.digests.setDirDigest(gfid, d);
  }

  stageDirDigest(gfid: Gfid, d: DirDigest, children: readonly StagedChild[]): void {
    this.digests.stageDirDigest(gfid, d, children);
  }

  commitStagedDigests(): number {
    return this.digests.commitStagedDigests();
  }

  dropStagedDigests(): void {
    this.digests.dropStagedDigests();
  }

  journalAppend(lines: readonly string[]): void {
    this.journal.journalAppend(lines);
  }

  journalRead(): { readonly lines: readonly string[]; readonly lastSeq: bigint } {
    return this.journal.journalRead();
  }

  journalDrop(seq: bigint): void {
    this.journal.journalDrop(seq);
  }

  ledgerRecord(item: LedgerFailure, nowMs: number, nextMs: number, attempts: 0 | 1 = 1): void {
    this.ledger.ledgerRecord(item, nowMs, nextMs, attempts);
  }

  ledgerGet(gfid: Gfid): LedgerItem | undefined {
    return this.ledger.ledgerGet(gfid);
  }

  ledgerDue(nowMs: number): readonly LedgerItem[] {
    return this.ledger.ledgerDue(nowMs);
  }

  ledgerAll(): readonly LedgerItem[] {
    return this.ledger.ledgerAll();
  }

  ledgerResolve(gfid: Gfid): void {
    this.ledger.ledgerResolve(gfid);
  }

  ledgerCount(): number {
    return this.ledger.ledgerCount();
  }

  ledgerCountBefore(ms: number): number {
    return this.ledger.ledgerCountBefore(ms);
  }

  getMeta(key: MetaKey): string | undefined {
    return this.meta.getMeta(key);
  }

  setMeta(key: MetaKey, value: string): void {
    this.meta.setMeta(key, value);
  }

  deleteMeta(key: MetaKey): void {
    this.meta.deleteMeta(key);
  }
}
