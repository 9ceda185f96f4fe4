// SqliteGfidIndex: the GfidIndex on better-sqlite3. Invariants: every object has at least one
// name and a directory exactly one; the root is implicit (no row); a database SQLite calls
// corrupt is quarantined at open and replaced by an empty one (store-quarantine.ts), never fatal;
// met while open it is condemned, and this process ends so that the next open rebuilds it.
// Why this file is long: one class implements all of GfidIndex (names, confirmations, recorder
// attributes, digests, the record journal, the failure ledger, session meta) over one database;
// splitting it into role interfaces is still to do (issue 16).

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { GeorepError, isGeorepError } from '../errors.js';
import type { EntryType } from '../changelog/index.js';
import type { DirDigest, StagedChild } from './digest-store.js';
import type { LedgerItem } from './failure-ledger-store.js';
import type { GfidIndex } from './gfid-index.js';
import type { IndexedEntry } from './name-index.js';
import type { SyncedAttrs } from '../changelog/index.js';
import { DirPaths } from './dir-paths.js';
import type { HeldDeletes } from './held-deletes.js';
import { SqliteHeldDeletes } from './sqlite-held-deletes.js';
import { escapeName } from '../changelog/index.js';
import { nameProblem } from '../changelog/index.js';
import { ROOT_GFID } from '../changelog/index.js';
import type { EntryName, Gfid } from '../changelog/index.js';
import type { MetaKey } from './session-meta.js';
import { entryTypeOf, prepareStatements, toEntry, toSynced } from './sqlite-statements.js';
import type { LedgerRow, Statements } from './sqlite-statements.js';
import { connect } from './sqlite-store.js';
import type { Db } from './sqlite-store.js';
import { withOpenLock } from './store-open-lock.js';
import { CONDEMNED_SUFFIX, checkIntegrity, condemn, isCorruption, openOrQuarantine } from './store-quarantine.js';
import type { Logger } from '../log.js';

const show = (at: EntryName): string => `${at.pargfid}/${escapeName(at.name)}`;

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

export class SqliteGfidIndex implements GfidIndex {
  /** Where a corrupt database was moved when this open replaced it; undefined if it did not. */
  readonly quarantined: string | undefined;
  private readonly db: Db;
  /** The inode this connection opened: another process may since have moved the file aside. */
  private readonly ino: number;
  private st: Statements;
  /** Cleared whenever a directory's name changes or may have (see dir-paths.ts). */
  private readonly dirPaths = new DirPaths((gfid) => this.st.firstName.get(gfid));
  /** The last parent found to be a directory: a crawl creates many entries in one directory. */
  private knownDir: Gfid | undefined;
  private held: HeldDeletes | undefined;

  private constructor(
    readonly path: string,
    db: Db,
    ino: number,
    quarantined: string | undefined,
  ) {
    this.db = db;
    this.ino = ino;
    this.st = prepareStatements(db);
    this.quarantined = quarantined;
  }

  /**
   * Opens (creating if needed) the index at `path`. A file that was condemned, is not a
   * database, or fails quick_check is moved aside and replaced by an empty one (`quarantined`
   * says where it went): the next crawl rebuilds it.
   */
  static open(path: string, opts: OpenOptions = {}): SqliteGfidIndex {
    if (path === ':memory:') return new SqliteGfidIndex(path, connect(path), 0, undefined);
    const check = opts.check ?? true;
    return withOpenLock(path, () => {
      const opened = openOrQuarantine(path, () => connectChecked(path, check), {
        what: 'gfid index',
        clock: opts.clock ?? systemClock,
        ...(opts.log === undefined ? {} : { log: opts.log }),
        ...(opts.onQuarantine === undefined ? {} : { onQuarantine: opts.onQuarantine }),
      });
      return new SqliteGfidIndex(path, opened.store, fs.statSync(path).ino, opened.quarantined);
    });
  }

  transaction<T>(fn: () => T): T {
    let ok = false;
    try {
      if (!this.db.inTransaction) this.assertCurrent();
      // IMMEDIATE: take the write lock at BEGIN, waiting (busy timeout) for the other process.
      // A deferred transaction that reads, then writes after the other process committed,
      // gets SQLITE_BUSY at once, without waiting: the recorder and worker share this file.
      const result = this.guard(() => this.db.transaction(fn).immediate());
      ok = true;
      return result;
    } finally {
      // Paths cached inside a rolled-back transaction may describe names that never were.
      if (!ok) this.forgetDirs();
    }
  }

  /**
   * The mass-delete brake's held deletes, in this database and on this connection: holding
   * inside transaction() commits or rolls back with the index changes around it.
   */
  heldDeletes(): HeldDeletes {
    this.held ??= new SqliteHeldDeletes((fn) => this.guard(() => fn(this.db)));
    return this.held;
  }

  lookup(pargfid: Gfid, name: Buffer): IndexedEntry | undefined {
    return this.guard(() => {
      const row = this.st.lookup.get(pargfid, name);
      return row === undefined ? undefined : toEntry(row);
    });
  }

  children(pargfid: Gfid): readonly IndexedEntry[] {
    return this.guard(() => this.st.children.all(pargfid).map(toEntry));
  }

  /**
   * Caps SQLite's page cache of this connection (KiB). A reader that reads each row once (a
   * verify walk) gains nothing from the default 16 MiB, which grows with the part of the index read.
   */
  setCacheKiB(kib: number): void {
    this.db.pragma(`cache_size = -${Math.max(64, Math.floor(kib))}`);
  }

  childGfids(pargfid: Gfid): readonly (readonly [Buffer, Gfid])[] {
    return this.guard(() => this.st.childGfids.all(pargfid) as [Buffer, Gfid][]);
  }

  subdirs(pargfid: Gfid): readonly { readonly name: Buffer; readonly gfid: Gfid }[] {
    return this.guard(() => this.st.subdirs.all(pargfid).map((r) => ({ name: r.name, gfid: r.gfid as Gfid })));
  }

  namesOf(gfid: Gfid): readonly EntryName[] {
    return this.guard(() => this.st.namesOf.all(gfid).map((r) => ({ pargfid: r.pargfid as Gfid, name: r.name })));
  }

  gfidOfIno(ino: bigint): Gfid | undefined {
    return this.guard(() => this.st.gfidOfIno.get(ino) as Gfid | undefined);
  }

  syncedOf(gfid: Gfid): SyncedAttrs | null {
    return this.guard(() => {
      const row = this.st.syncedOf.get(gfid);
      return row === undefined ? null : toSynced(row);
    });
  }

  pathOf(gfid: Gfid): Buffer | undefined {
    return this.guard(() => this.dirPaths.resolve(gfid));
  }

  create(type: EntryType, ino: bigint, at: EntryName): Gfid {
    return this.guard(() => {
      checkName(at);
      this.checkParentDir(at.pargfid);
      const gfid = randomUUID() as Gfid; // the index is one of the two places gfids are minted
      if (this.st.insertName.run(at.pargfid, at.name, gfid).changes === 0) {
        throw new GeorepError('ENTRY_CONFLICT', `cannot create ${show(at)}: the name is already taken`, {
          path: show(at),
        });
      }
      this.st.insertObject.run(gfid, type, ino);
      return gfid;
    });
  }

  link(gfid: Gfid, at: EntryName): void {
    this.guard(() => {
      checkName(at);
      this.checkParentDir(at.pargfid);
      const type = this.st.typeOf.get(gfid);
      if (type === undefined)
        throw new GeorepError('GFID_UNKNOWN', `cannot link unknown gfid ${gfid} at ${show(at)}`, { path: gfid });
      if (type === 'dir')
        throw new GeorepError('ENTRY_CONFLICT', `cannot hard-link directory ${gfid} at ${show(at)}`, { path: gfid });
      if (
        this.st.insertName.run(at.pargfid, at.name, gfid).changes === 0 &&
        this.st.at.get(at.pargfid, at.name)?.gfid !== gfid
      ) {
        throw new GeorepError('ENTRY_CONFLICT', `cannot link ${gfid} at ${show(at)}: the name is already taken`, {
          path: show(at),
        });
      }
    });
  }

  unlink(at: EntryName): void {
    this.guard(() => {
      const cur = this.st.at.get(at.pargfid, at.name);
      if (cur === undefined) return; // already gone: idempotent, as UNLINK replay must be
      if (cur.type === 'dir') {
        // Leaving the children would orphan them; a vanished tree goes through removeTree.
        if (this.st.hasChildren.get(cur.gfid) !== undefined) {
          throw new GeorepError('ENTRY_CONFLICT', `directory ${show(at)} is not empty; use removeTree`, {
            path: show(at),
          });
        }
        this.forgetDirs();
      }
      this.st.deleteName.run(at.pargfid, at.name);
      this.st.deleteIfNameless.run(cur.gfid, cur.gfid);
    });
  }

  removeTree(gfid: Gfid): void {
    this.guard(() => {
      if (gfid === ROOT_GFID) throw new GeorepError('ENTRY_CONFLICT', 'the root cannot be removed from the gfid index');
      const subtree = JSON.stringify(this.st.subtree.all(gfid));
      this.forgetDirs();
      this.st.deleteNamesUnder.run(subtree);
      this.st.deleteNamesOf.run(gfid);
      // A file hard-linked from outside the subtree keeps its object and its outside name.
      this.st.deleteNamelessIn.run(subtree);
    });
  }

  rename(from: EntryName, to: EntryName): void {
    this.guard(() => {
      checkName(to);
      const src = this.st.at.get(from.pargfid, from.name);
      if (src === undefined)
        throw new GeorepError('GFID_UNKNOWN', `cannot rename ${show(from)}: no such entry`, { path: show(from) });
      if (from.pargfid === to.pargfid && from.name.equals(to.name)) return;
      this.checkParentDir(to.pargfid);
      if (src.type === 'dir' && this.dirPaths.isWithin(to.pargfid, src.gfid as Gfid)) {
        throw new GeorepError('ENTRY_CONFLICT', `cannot move directory ${show(from)} into itself (${show(to)})`, {
          path: show(to),
        });
      }
      const dst = this.st.at.get(to.pargfid, to.name);
      if (dst !== undefined) {
        if (dst.gfid === src.gfid) return; // two names of one file: POSIX rename does nothing
        this.checkReplace(src.type, dst, to);
        this.st.deleteName.run(to.pargfid, to.name);
        this.st.deleteIfNameless.run(dst.gfid, dst.gfid);
      }
      if (src.type === 'dir' || dst?.type === 'dir') this.forgetDirs();
      this.st.moveName.run(to.pargfid, to.name, from.pargfid, from.name);
    });
  }

  markSynced(gfid: Gfid, a: SyncedAttrs): void {
    // No row (the root, or an object removed while its sync was in flight): nothing to mark.
    this.guard(() => this.st.markSynced.run(a.size, a.mtimeNs, a.ctimeNs, a.mode, a.uid, a.gid, gfid));
  }

  markNameSynced(gfid: Gfid, at: EntryName): void {
    this.guard(() => this.st.markNameSynced.run(at.pargfid, at.name, gfid));
  }

  clearSynced(): void {
    this.guard(() => {
      // First, so the triggers the update fires find nothing left to delete.
      this.st.clearDigests.run();
      this.st.clearSynced.run();
      this.st.clearNamesSynced.run();
    });
  }

  dirDigest(gfid: Gfid): DirDigest | undefined {
    return this.guard(() => {
      const row = this.st.dirDigest.get(gfid);
      if (row === undefined) return undefined;
      // Stored by setDirDigest from gfids the index minted; the triggers keep them current.
      const subdirs = row.subdirs === '' ? [] : (row.subdirs.split(',') as Gfid[]);
      return { digest: row.digest, subdirs };
    });
  }

  setDirDigest(gfid: Gfid, d: DirDigest): void {
    this.guard(() => this.st.setDirDigest.run(gfid, d.digest, d.subdirs.join(',')));
  }

  stageDirDigest(gfid: Gfid, d: DirDigest, children: readonly StagedChild[]): void {
    this.guard(() => {
      this.st.stageDirDigest.run(gfid, d.digest, d.subdirs.join(','), children.length);
      for (const c of children) {
        const a = c.attrs;
        this.st.stageChild.run(gfid, c.gfid, c.type, c.ino, a.size, a.mtimeNs, a.ctimeNs, a.mode, a.uid, a.gid);
      }
    });
  }

  commitStagedDigests(): number {
    return this.guard(() =>
      this.db.transaction(() => {
        const n = this.st.commitStagedDigests.run().changes;
        this.dropStaged();
        return n;
      })(),
    );
  }

  dropStagedDigests(): void {
    this.guard(() => this.dropStaged());
  }

  private dropStaged(): void {
    this.st.dropStagedDigests.run();
    this.st.dropStagedChildren.run();
  }

  count(): number {
    return this.guard(() => Number(this.st.count.get() ?? 0n));
  }

  objectOf(
    gfid: Gfid,
  ): { readonly type: EntryType; readonly ino: bigint; readonly btimeNs: bigint | null } | undefined {
    return this.guard(() => {
      const row = this.st.objectOf.get(gfid);
      return row === undefined
        ? undefined
        : { type: entryTypeOf(row.type, gfid), ino: row.ino, btimeNs: row.btime_ns === 0n ? null : row.btime_ns };
    });
  }

  targetOf(gfid: Gfid): Buffer | undefined {
    return this.guard(() => this.st.targetOf.get(gfid) ?? undefined);
  }

  setTarget(gfid: Gfid, target: Buffer): void {
    this.guard(() => this.st.setTarget.run(target, gfid));
  }

  recordedOf(gfid: Gfid): SyncedAttrs | null {
    return this.guard(() => {
      const row = this.st.recordedOf.get(gfid);
      return row === undefined ? null : toSynced(row);
    });
  }

  setRecorded(gfid: Gfid, a: SyncedAttrs, ino: bigint, btimeNs: bigint): void {
    this.guard(() => this.st.setRecorded.run(a.size, a.mtimeNs, a.ctimeNs, a.mode, a.uid, a.gid, ino, btimeNs, gfid));
  }

  xtimeOf(gfid: Gfid): number | undefined {
    return this.guard(() => {
      const v = this.st.xtimeOf.get(gfid);
      return v === undefined || v === null ? undefined : Number(v);
    });
  }

  setXtime(gfid: Gfid, ms: number): void {
    this.guard(() => this.st.setXtime.run(ms, gfid));
  }

  forgetCachedPaths(): void {
    this.forgetDirs();
  }

  journalAppend(lines: readonly string[]): void {
    this.guard(() => {
      for (const line of lines) this.st.journalAppend.run(line);
    });
  }

  journalRead(): { readonly lines: readonly string[]; readonly lastSeq: bigint } {
    // What is read here is published as a CHANGELOG: never from a file moved aside meanwhile.
    this.assertCurrent();
    return this.guard(() => {
      const rows = this.st.journalRead.all();
      return { lines: rows.map((r) => r.line), lastSeq: rows.at(-1)?.seq ?? 0n };
    });
  }

  journalDrop(seq: bigint): void {
    this.guard(() => this.st.journalDrop.run(seq));
  }

  ledgerRecord(
    item: Pick<LedgerItem, 'gfid' | 'path' | 'code' | 'errno' | 'message' | 'changeMs'>,
    nowMs: number,
    nextMs: number,
    attempts: 0 | 1 = 1,
  ): void {
    this.guard(() =>
      this.st.ledgerUpsert.run(
        item.gfid,
        item.path,
        item.code,
        item.errno,
        item.message,
        attempts,
        nowMs,
        nowMs,
        nextMs,
        item.changeMs,
      ),
    );
  }

  ledgerGet(gfid: Gfid): LedgerItem | undefined {
    return this.guard(() => {
      const r = this.st.ledgerGet.get(gfid);
      return r === undefined ? undefined : toLedgerItem(r);
    });
  }

  ledgerDue(nowMs: number): readonly LedgerItem[] {
    return this.guard(() => this.st.ledgerDue.all(nowMs).map(toLedgerItem));
  }

  ledgerAll(): readonly LedgerItem[] {
    return this.guard(() => this.st.ledgerAll.all().map(toLedgerItem));
  }

  ledgerResolve(gfid: Gfid): void {
    this.guard(() => this.st.ledgerDelete.run(gfid));
  }

  ledgerCount(): number {
    return this.guard(() => Number(this.st.ledgerCount.get() ?? 0n));
  }

  ledgerCountBefore(ms: number): number {
    return this.guard(() => Number(this.st.ledgerCountBefore.get(ms) ?? 0n));
  }

  deleteMeta(key: MetaKey): void {
    this.guard(() => this.st.deleteMeta.run(key));
  }

  getMeta(key: MetaKey): string | undefined {
    return this.guard(() => this.st.getMeta.get(key));
  }

  setMeta(key: MetaKey, value: string): void {
    this.guard(() => this.st.setMeta.run(key, value));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Drops what is remembered about directories: one was renamed or removed, or may have been. */
  private forgetDirs(): void {
    this.dirPaths.clear();
    this.knownDir = undefined;
  }

  private checkParentDir(pargfid: Gfid): void {
    if (pargfid === ROOT_GFID || pargfid === this.knownDir) return;
    const type = this.st.typeOf.get(pargfid);
    if (type === undefined)
      throw new GeorepError('GFID_UNKNOWN', `parent ${pargfid} is not in the gfid index`, { path: pargfid });
    if (type !== 'dir')
      throw new GeorepError('ENTRY_CONFLICT', `parent ${pargfid} is a ${type}, not a directory`, { path: pargfid });
    this.knownDir = pargfid;
  }

  /** POSIX rename rules for replacing an existing target. */
  private checkReplace(srcType: string, dst: { readonly gfid: string; readonly type: string }, to: EntryName): void {
    if ((srcType === 'dir') !== (dst.type === 'dir')) {
      throw new GeorepError('ENTRY_CONFLICT', `cannot rename a ${srcType} over the ${dst.type} at ${show(to)}`, {
        path: show(to),
      });
    }
    if (dst.type === 'dir' && this.st.hasChildren.get(dst.gfid) !== undefined) {
      throw new GeorepError('ENTRY_CONFLICT', `cannot rename over non-empty directory ${show(to)}`, { path: show(to) });
    }
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
  private guard<T>(fn: () => T): T {
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

function checkName(at: EntryName): void {
  const problem = nameProblem(at.name);
  if (problem !== undefined)
    throw new GeorepError('BAD_NAME', `bad entry name ${show(at)}: ${problem}`, { path: show(at) });
}

function toLedgerItem(r: LedgerRow): LedgerItem {
  return {
    gfid: r.gfid as Gfid, // stored by ledgerRecord, which takes a Gfid
    path: r.path,
    code: r.code,
    errno: r.errno,
    message: r.message,
    attempts: Number(r.attempts),
    changeMs: r.change_ms === null ? 0 : Number(r.change_ms),
    firstMs: Number(r.first_ms),
    lastMs: Number(r.last_ms),
    nextMs: Number(r.next_ms),
  };
}
