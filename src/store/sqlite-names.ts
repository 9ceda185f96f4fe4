// SqliteNames: the session index's names and objects tables on better-sqlite3: the NameIndex,
// the slave's confirmations and the recorder's attributes (all columns of those two tables).
// Invariants: every object has at least one name and a directory exactly one; the root is
// implicit (no row); a name is checked (name-check.ts) and its parent is a directory.
// SqliteGfidIndex extends it with the other roles and the connection's transactions.

import { randomUUID } from 'node:crypto';
import { GeorepError } from '../errors.js';
import { ROOT_GFID, escapeName, nameProblem, storableNs } from '../changelog/index.js';
import type { EntryName, EntryType, Gfid, SyncedAttrs } from '../changelog/index.js';
import type { Confirmations } from './confirmations.js';
import { DirPaths } from './dir-paths.js';
import type { IndexedEntry, NameIndex } from './name-index.js';
import type { RecorderAttrs } from './recorder-attrs.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { SqliteDigests } from './sqlite-digests.js';
import { entryTypeOf, prepareStatements, toEntry, toSynced } from './sqlite-statements.js';
import type { Statements } from './sqlite-statements.js';

const show = (at: EntryName): string => `${at.pargfid}/${escapeName(at.name)}`;

export class SqliteNames implements NameIndex, Confirmations, RecorderAttrs {
  private readonly st: Statements;
  /** Cleared whenever a directory's name changes or may have (see dir-paths.ts). */
  private readonly dirPaths = new DirPaths((gfid) => this.st.firstName.get(gfid));
  /** The last parent found to be a directory: a crawl creates many entries in one directory. */
  private knownDir: Gfid | undefined;

  /** `digestsToClear`: the digests that vouch for the confirmations clearSynced forgets. */
  protected constructor(
    protected readonly conn: SqliteConnection,
    private readonly digestsToClear: Pick<SqliteDigests, 'clearAll'>,
  ) {
    this.st = prepareStatements(conn.db);
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

  childGfids(pargfid: Gfid): readonly (readonly [Buffer, Gfid])[] {
    return this.guard(() => this.st.childGfids.all(pargfid) as [Buffer, Gfid][]);
  }

  subdirs(pargfid: Gfid): readonly { readonly name: Buffer; readonly gfid: Gfid }[] {
    return this.guard(() => this.st.subdirs.all(pargfid).map((r) => ({ name: r.name, gfid: r.gfid as Gfid })));
  }

  namesOf(gfid: Gfid): readonly EntryName[] {
    return this.guard(() => this.st.namesOf.all(gfid).map((r) => ({ pargfid: r.pargfid as Gfid, name: r.name })));
  }

  gfidsOfIno(ino: bigint): readonly Gfid[] {
    return this.guard(() => this.st.gfidsOfIno.all(ino) as Gfid[]);
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

  removeTree(gfid: Gfid): readonly Gfid[] {
    return this.guard(() => {
      if (gfid === ROOT_GFID) throw new GeorepError('ENTRY_CONFLICT', 'the root cannot be removed from the gfid index');
      const subtree = JSON.stringify(this.st.subtree.all(gfid));
      this.forgetDirs();
      this.st.deleteNamesUnder.run(subtree);
      this.st.deleteNamesOf.run(gfid);
      // A file hard-linked from outside the subtree keeps its object and its outside name.
      this.st.deleteNamelessIn.run(subtree);
      return this.st.objectsIn.all(subtree) as Gfid[];
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
    const [m, c] = [storableNs(a.mtimeNs), storableNs(a.ctimeNs)];
    this.guard(() => this.st.markSynced.run(a.size, m, c, a.mode, a.uid, a.gid, gfid));
  }

  markNameSynced(gfid: Gfid, at: EntryName): void {
    this.guard(() => this.st.markNameSynced.run(at.pargfid, at.name, gfid));
  }

  clearSynced(): void {
    this.guard(() => {
      // First, so the triggers the update fires find nothing left to delete.
      this.digestsToClear.clearAll();
      this.st.clearSynced.run();
      this.st.clearNamesSynced.run();
    });
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
    const [m, c] = [storableNs(a.mtimeNs), storableNs(a.ctimeNs)];
    this.guard(() => this.st.setRecorded.run(a.size, m, c, a.mode, a.uid, a.gid, ino, storableNs(btimeNs), gfid));
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

  /** Drops what is remembered about directories: one was renamed or removed, or may have been. */
  protected forgetDirs(): void {
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

  /** Runs one operation under the connection's corruption handling (SqliteConnection.guard). */
  protected guard<T>(fn: () => T): T {
    return this.conn.guard(fn);
  }
}

function checkName(at: EntryName): void {
  const problem = nameProblem(at.name);
  if (problem !== undefined)
    throw new GeorepError('BAD_NAME', `bad entry name ${show(at)}: ${problem}`, { path: show(at) });
}
