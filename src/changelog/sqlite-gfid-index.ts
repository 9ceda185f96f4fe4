// SqliteGfidIndex: the GfidIndex on better-sqlite3. Invariants: every object has at least one
// name and a directory exactly one; the root is implicit (no row); a database SQLite calls
// corrupt is quarantined and replaced by an empty one (see sqlite-store.ts), never fatal.

import { randomUUID } from 'node:crypto';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { GeorepError } from '../errors.js';
import type {
  DirDigest,
  EntryType,
  StagedChild,
  GfidIndex,
  IndexedEntry,
  LedgerItem,
  SyncedAttrs,
} from './gfid-index.js';
import { DirPaths } from './dir-paths.js';
import type { HeldDeletes } from './held-deletes.js';
import { SqliteHeldDeletes } from './sqlite-held-deletes.js';
import { escapeName } from './name-codec.js';
import { nameProblem } from './name-check.js';
import { ROOT_GFID } from './record.js';
import type { EntryName, Gfid } from './record.js';
import { entryTypeOf, prepareStatements, toEntry, toSynced } from './sqlite-statements.js';
import type { LedgerRow, Statements } from './sqlite-statements.js';
import { connect, isCorruption, quarantineFiles } from './sqlite-store.js';
import type { Db } from './sqlite-store.js';

const show = (at: EntryName): string => `${at.pargfid}/${escapeName(at.name)}`;

export interface OpenOptions {
  /** Names the quarantined file (`<path>.corrupt-<ms>`). */
  readonly clock?: Pick<Clock, 'nowMs'>;
}

export class SqliteGfidIndex implements GfidIndex {
  /** Where a corrupt database was moved when this instance replaced it; undefined if never. */
  quarantined: string | undefined;
  private db: Db;
  private st: Statements;
  /** Cleared whenever a directory's name changes or may have (see dir-paths.ts). */
  private readonly dirPaths = new DirPaths((gfid) => this.st.firstName.get(gfid));
  /** The last parent found to be a directory: a crawl creates many entries in one directory. */
  private knownDir: Gfid | undefined;
  private held: HeldDeletes | undefined;

  private constructor(
    readonly path: string,
    private readonly clock: Pick<Clock, 'nowMs'>,
    db: Db,
    quarantined: string | undefined,
  ) {
    this.db = db;
    this.st = prepareStatements(db);
    this.quarantined = quarantined;
  }

  static open(path: string, opts: OpenOptions = {}): SqliteGfidIndex {
    const clock = opts.clock ?? systemClock;
    if (path === ':memory:') return new SqliteGfidIndex(path, clock, connect(path), undefined);
    let db: Db;
    let quarantined: string | undefined;
    try {
      db = connect(path);
    } catch (e) {
      if (!isCorruption(e)) throw e;
      quarantined = quarantineFiles(path, clock.nowMs());
      db = connect(path);
    }
    return new SqliteGfidIndex(path, clock, db, quarantined);
  }

  transaction<T>(fn: () => T): T {
    let ok = false;
    try {
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

  deleteMeta(key: string): void {
    this.guard(() => this.st.deleteMeta.run(key));
  }

  getMeta(key: string): string | undefined {
    return this.guard(() => this.st.getMeta.get(key));
  }

  setMeta(key: string, value: string): void {
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
   * Runs one operation. On corruption of a file-backed database, outside a transaction, the
   * file is quarantined and this instance continues on a fresh empty one; the operation in
   * flight fails with STATE_CORRUPT (its answer would be wrong either way). Inside a
   * transaction the error goes up unchanged, so the outermost transaction() rolls back first.
   */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!isCorruption(e) || this.db.inTransaction) throw e;
      throw this.quarantine(e);
    }
  }

  private quarantine(cause: unknown): GeorepError {
    if (this.path === ':memory:') {
      return new GeorepError('STATE_CORRUPT', 'the in-memory gfid index reports corruption', { cause });
    }
    this.db.close();
    this.forgetDirs();
    this.quarantined = quarantineFiles(this.path, this.clock.nowMs());
    this.db = connect(this.path);
    this.st = prepareStatements(this.db);
    return new GeorepError(
      'STATE_CORRUPT',
      `gfid index ${this.path} was corrupt and was moved to ${this.quarantined}; continuing with an empty index (the next crawl resends everything)`,
      { path: this.path, cause },
    );
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
