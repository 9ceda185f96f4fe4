// SlaveIndex: the slave's own gfid → names map (SQLite, <root>/.georep/index.db), so entry ops
// resolve against what is on the slave now. Invariant: each change is recorded after the disk
// change it describes, in one transaction per request; a crash can leave it one request off the disk.

import Database from 'better-sqlite3';
import { GeorepError } from '../errors.js';
import { ROOT_GFID, isGfid, unpooled } from '../changelog/index.js';
import { checkIntegrity } from '../store/index.js';
import type { Gfid } from '../changelog/index.js';
import { OBJECT_TYPES, joinRel } from '../changelog/index.js';
import type { ObjectType } from '../changelog/index.js';
import type { SlaveMetaKey } from './slave-meta.js';

/**
 * SQLite's page cache of the index, in KiB. better-sqlite3's build default is 16 MB, which a
 * 200k-entry index fills during a first sync (one-shot memory target, issue 15). An adoption
 * or entry-op request (at most LIMITS.opsPerBatch items) touches a few hundred pages; the rest
 * is reread from the OS page cache.
 */
export const INDEX_CACHE_KIB = 4096;

/** One name of a gfid: where it lives. */
export interface SlaveName {
  readonly pargfid: Gfid;
  readonly name: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (gfid TEXT PRIMARY KEY, type TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names (
  pargfid TEXT NOT NULL, name BLOB NOT NULL, gfid TEXT NOT NULL, PRIMARY KEY (pargfid, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS names_by_gfid ON names (gfid);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS doomed_dirs (g TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS doomed_objs (g TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS counted (pargfid TEXT NOT NULL, name BLOB NOT NULL, PRIMARY KEY (pargfid, name)) WITHOUT ROWID;
`;

/** A directory chain deeper than this can only come from a corrupt (cyclic) index. */
const MAX_DEPTH = 4096;

function prepareAll(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    lookup: p('SELECT gfid FROM names WHERE pargfid = ? AND name = ?').pluck(),
    typeOf: p('SELECT type FROM objects WHERE gfid = ?').pluck(),
    namesOf: p('SELECT pargfid, name FROM names WHERE gfid = ?'),
    firstName: p('SELECT pargfid, name FROM names WHERE gfid = ? LIMIT 1'),
    hasNames: p('SELECT 1 FROM names WHERE gfid = ? LIMIT 1').pluck(),
    childNames: p('SELECT name FROM names WHERE pargfid = ?').pluck(),
    anyName: p('SELECT 1 FROM names LIMIT 1').pluck(),
    addObject: p(
      'INSERT INTO objects (gfid, type) VALUES (?, ?) ON CONFLICT (gfid) DO UPDATE SET type = excluded.type',
    ),
    addName: p('INSERT OR REPLACE INTO names (pargfid, name, gfid) VALUES (?, ?, ?)'),
    delName: p('DELETE FROM names WHERE pargfid = ? AND name = ?'),
    delObject: p('DELETE FROM objects WHERE gfid = ?'),
    moveName: p('UPDATE names SET pargfid = ?, name = ? WHERE pargfid = ? AND name = ?'),
    retagNames: p('UPDATE names SET gfid = ? WHERE gfid = ?'),
    retagChildren: p('UPDATE OR REPLACE names SET pargfid = ? WHERE pargfid = ?'),
    clearDoomed: [p('DELETE FROM doomed_dirs'), p('DELETE FROM doomed_objs')],
    markDirs: p(`INSERT INTO doomed_dirs WITH RECURSIVE sub(g) AS (
      SELECT ? UNION SELECT n.gfid FROM names n JOIN sub ON n.pargfid = sub.g
      JOIN objects o ON o.gfid = n.gfid AND o.type = 'dir') SELECT g FROM sub`),
    markObjs: p(
      'INSERT OR IGNORE INTO doomed_objs SELECT gfid FROM names WHERE pargfid IN (SELECT g FROM doomed_dirs)',
    ),
    delChildren: p('DELETE FROM names WHERE pargfid IN (SELECT g FROM doomed_dirs)'),
    delOrphans: p(`DELETE FROM objects WHERE gfid IN (SELECT g FROM doomed_objs)
      AND NOT EXISTS (SELECT 1 FROM names n WHERE n.gfid = objects.gfid)`),
    nameCount: p('SELECT count(*) FROM names').pluck(),
    forgetNames: p('DELETE FROM names'),
    forgetObjects: p('DELETE FROM objects WHERE gfid <> ?'),
    countClear: p('DELETE FROM counted'),
    countName: p('INSERT OR IGNORE INTO counted (pargfid, name) VALUES (?, ?)'),
    countBelow: p(`INSERT OR IGNORE INTO counted (pargfid, name) SELECT pargfid, name FROM names WHERE pargfid IN (
      WITH RECURSIVE sub(g) AS (
        SELECT ? UNION SELECT n.gfid FROM names n JOIN sub ON n.pargfid = sub.g
        JOIN objects o ON o.gfid = n.gfid AND o.type = 'dir') SELECT g FROM sub)`),
    countedCount: p('SELECT count(*) FROM counted').pluck(),
    getMeta: p('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    delMeta: p('DELETE FROM meta WHERE key = ?'),
  };
}

function asType(v: unknown): ObjectType | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (OBJECT_TYPES as readonly string[]).includes(v)) return v as ObjectType;
  throw new GeorepError('STATE_CORRUPT', `slave index holds an unknown object type ${JSON.stringify(v)}`);
}

function asName(row: unknown): SlaveName | undefined {
  if (row === undefined) return undefined;
  const r = row as { pargfid: unknown; name: unknown };
  if (typeof r.pargfid !== 'string' || !isGfid(r.pargfid) || !Buffer.isBuffer(r.name)) {
    throw new GeorepError('STATE_CORRUPT', 'slave index holds a malformed name row');
  }
  return { pargfid: r.pargfid, name: r.name };
}

export class SlaveIndex {
  private readonly st: ReturnType<typeof prepareAll>;
  /** Directory gfid → path relative to the root. Cleared whenever a directory moves or goes. */
  private readonly dirPaths = new Map<string, Buffer>();

  private constructor(private readonly db: Database.Database) {
    this.st = prepareAll(db);
    this.st.addObject.run(ROOT_GFID, 'dir');
  }

  /**
   * Opens (creating if needed) the index at `file`; ':memory:' for tests. A damaged file fails
   * here (SQLite's error, or quick_check's STATE_CORRUPT), for slave-root.ts to quarantine.
   */
  static open(file: string, shown = file): SlaveIndex {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      checkIntegrity(db, 'slave index', shown);
      db.pragma('synchronous = NORMAL');
      // Checkpoint the WAL every 32 MiB (default 4 MiB): each checkpoint is an fsync of the database.
      db.pragma('wal_autocheckpoint = 8192');
      // Two agents on one slave root would be a misconfiguration; wait rather than fail at once.
      db.pragma('busy_timeout = 5000');
      db.pragma(`cache_size = -${INDEX_CACHE_KIB}`);
      db.exec(SCHEMA);
      return new SlaveIndex(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }

  /**
   * Runs `fn` in one transaction (all or nothing), begun IMMEDIATE: a transaction that reads
   * first and writes later, begun DEFERRED, fails at once with "database is locked" when another
   * agent on the same slave (a scheduled audit's beside the worker's) wrote in between, instead
   * of waiting for the lock (an audit's repair failed so).
   */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      // Paths cached inside it may name what the rollback undid.
      this.dirPaths.clear();
      throw e;
    }
  }

  lookup(pargfid: Gfid, name: Buffer): Gfid | undefined {
    const g: unknown = this.st.lookup.get(pargfid, name);
    if (g === undefined) return undefined;
    if (typeof g !== 'string' || !isGfid(g))
      throw new GeorepError('STATE_CORRUPT', 'slave index holds a malformed gfid');
    return g;
  }

  /** No entry recorded under the root (a slave that never received anything). */
  isEmpty(): boolean {
    return this.st.anyName.get() === undefined;
  }

  typeOf(gfid: Gfid): ObjectType | undefined {
    return asType(this.st.typeOf.get(gfid));
  }

  namesOf(gfid: Gfid): SlaveName[] {
    return this.st.namesOf.all(gfid).map((r) => asName(r) as SlaveName);
  }

  firstName(gfid: Gfid): SlaveName | undefined {
    return asName(this.st.firstName.get(gfid));
  }

  /** The names recorded directly in directory `gfid`, lazily (stop early: the rest is not read). */
  *childNames(gfid: Gfid): Generator<Buffer> {
    for (const name of this.st.childNames.iterate(gfid) as IterableIterator<unknown>) {
      if (!Buffer.isBuffer(name)) throw new GeorepError('STATE_CORRUPT', 'slave index holds a malformed name row');
      yield name;
    }
  }

  /** Path of a directory relative to the root (empty for the root); undefined unless a known directory. */
  dirPath(gfid: Gfid, depth = 0): Buffer | undefined {
    if (gfid === ROOT_GFID) return Buffer.alloc(0);
    const cached = this.dirPaths.get(gfid);
    if (cached !== undefined) return cached;
    if (depth > MAX_DEPTH)
      throw new GeorepError('STATE_CORRUPT', `slave index has a directory cycle at ${gfid}`, { path: gfid });
    const at = this.typeOf(gfid) === 'dir' ? this.firstName(gfid) : undefined;
    if (at === undefined) return undefined;
    const parent = this.dirPath(at.pargfid, depth + 1);
    if (parent === undefined) return undefined;
    // Kept in memory of its own: a pooled view would pin a shared 8 KiB slab (unpooled.ts).
    const path = unpooled(joinRel(parent, at.name));
    this.dirPaths.set(gfid, path);
    return path;
  }

  /** Path of any gfid (its first name for hard links) relative to the root; undefined if unknown. */
  pathOf(gfid: Gfid): Buffer | undefined {
    if (gfid === ROOT_GFID) return Buffer.alloc(0);
    const at = this.firstName(gfid);
    if (at === undefined) return undefined;
    const parent = this.dirPath(at.pargfid);
    return parent === undefined ? undefined : joinRel(parent, at.name);
  }

  /** Records `gfid` of `type` under (pargfid, name), replacing whatever the index had there. */
  add(gfid: Gfid, type: ObjectType, at: SlaveName): void {
    // A name taken from another gfid: a cached path of that one would name this one's directory.
    if (this.lookup(at.pargfid, at.name) !== undefined) this.dirPaths.clear();
    this.st.addObject.run(gfid, type);
    this.st.addName.run(at.pargfid, at.name, gfid);
  }

  /** Forgets one name; a directory's subtree goes with it; an object goes with its last name. */
  removeName(at: SlaveName): void {
    const gfid = this.lookup(at.pargfid, at.name);
    if (gfid === undefined) return;
    if (this.typeOf(gfid) === 'dir') this.dropSubtree(gfid);
    this.st.delName.run(at.pargfid, at.name);
    if (gfid !== ROOT_GFID && this.st.hasNames.get(gfid) === undefined) this.st.delObject.run(gfid);
  }

  /** Forgets every name and object (not the meta: volume mark, slaveId, stime); returns the names it held. */
  forgetNames(): number {
    return this.transaction(() => {
      const n = this.nameCount();
      this.st.forgetNames.run();
      this.st.forgetObjects.run(ROOT_GFID);
      this.dirPaths.clear();
      return n;
    });
  }

  /** Names the index holds (every entry below the root, a hard link once per name). */
  nameCount(): number {
    return Number(this.st.nameCount.get());
  }

  /**
   * How many names removing `removals` would take from the index: each name that still holds
   * its gfid, and for a directory every name below it; a name counted once, however many
   * removals reach it (a file's UNLINK and its directory's RMDIR in one turn). Changes nothing.
   */
  removalCount(removals: readonly { readonly gfid: Gfid; readonly at: SlaveName }[]): number {
    return this.transaction(() => {
      this.st.countClear.run();
      for (const r of removals) {
        if (this.lookup(r.at.pargfid, r.at.name) !== r.gfid) continue;
        this.st.countName.run(r.at.pargfid, r.at.name);
        if (this.typeOf(r.gfid) === 'dir') this.st.countBelow.run(r.gfid);
      }
      const n = Number(this.st.countedCount.get());
      this.st.countClear.run();
      return n;
    });
  }

  /** Moves one name; whatever the index had at `to` is forgotten first. */
  moveName(from: SlaveName, to: SlaveName): void {
    if (this.lookup(to.pargfid, to.name) !== undefined) this.removeName(to);
    this.st.moveName.run(to.pargfid, to.name, from.pargfid, from.name);
    this.dirPaths.clear();
  }

  /**
   * Directory `from` becomes directory `to`: its name and the names recorded in it now belong
   * to `to`, and `from` is forgotten. A MKDIR of a new gfid taking over a kept directory
   * (ignore-deletes, kept-dir.ts): the entries in it stay known, under their new parent.
   */
  retagDir(from: Gfid, to: Gfid): void {
    if (from === ROOT_GFID || to === ROOT_GFID || this.st.hasNames.get(to) !== undefined)
      throw new GeorepError('INTERNAL', `retagging directory ${from} as ${to}, which is the root or has names`);
    this.st.addObject.run(to, 'dir');
    this.st.retagNames.run(to, from);
    this.st.retagChildren.run(to, from);
    this.st.delObject.run(from);
    this.dirPaths.clear();
  }

  /** Forgets everything below directory `gfid` (not its own name). */
  private dropSubtree(gfid: Gfid): void {
    for (const s of this.st.clearDoomed) s.run();
    this.st.markDirs.run(gfid);
    this.st.markObjs.run();
    this.st.delChildren.run();
    this.st.delOrphans.run();
    this.dirPaths.clear();
  }

  getMeta(key: SlaveMetaKey): string | undefined {
    const v: unknown = this.st.getMeta.get(key);
    return typeof v === 'string' ? v : undefined;
  }

  setMeta(key: SlaveMetaKey, value: string | undefined): void {
    if (value === undefined) this.st.delMeta.run(key);
    else this.st.setMeta.run(key, value);
  }

  /** setMeta with the commit synced to disk before returning (stime must survive power loss). */
  setMetaDurably(key: SlaveMetaKey, value: string): void {
    this.db.pragma('synchronous = FULL');
    try {
      this.setMeta(key, value);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }
}
