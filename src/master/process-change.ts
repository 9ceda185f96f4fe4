// process_change, the classify step: turns parsed records into a Plan. It re-reads the master
// (lstat, readlink) by gfid at processing time, as gsyncd does: an entry gone in the interim is
// skipped, because the next turn records its removal.
// Why this file is long: one classification over per-batch state that every record kind reads
// and writes (where each gfid is and its lstat, what the batch makes, the directories it
// touches, what the brake holds); splitting it would pass that state around record by record.

import fs from 'node:fs';
import type { LstatView } from '../changelog/dir-stats.js';
import { ROOT_GFID, escapeName, joinRel } from '../changelog/index.js';
import type { Change, EntryChange, EntryName, Gfid, SyncedAttrs } from '../changelog/index.js';
import type { Confirmations, NameIndex } from '../store/index.js';
import { hasErrno } from '../errors.js';
import type { EntryOp, MetaOp, WireEntry } from '../slave/index.js';
import { timespecOf } from '../slave/index.js';
import type { DataItem } from '../syncer/index.js';
import { absPath, attrDelta, attrsOf } from '../changelog/index.js';
import type { HeldRecord, Plan } from './plan.js';

export interface ClassifyOptions {
  /** 'changelog': D records prove a change (quick check off); 'crawl': compare mtimes to the ns. */
  readonly source: 'changelog' | 'crawl';
  /**
   * What the crawl that wrote these records saw, by gfid (path and lstat, moments ago): used
   * instead of resolving and stat'ing each path again. Entries are taken as they are used.
   */
  readonly seen?: Map<Gfid, Seen>;
  /**
   * The crawl read the index row of every entry of this batch with nothing confirmed on the
   * slave, and its view was dropped while the batch waited (a first sync's batches behind the
   * seed copy): a record's gfid not in `seen` counts as unconfirmed, as that view said, without
   * a query per file (0.6 s of a 50,000-entry first sync).
   */
  readonly unconfirmed?: boolean;
  /**
   * The index's names are another process's (the live recorder's), which may have moved a
   * gfid since the crawl listed it: a name, the record's or the index's, may hold another
   * object by now. An object there whose inode is not the gfid's is not read for it (as for a
   * changelog): `mv x x~` and a new `x` gave the moved file the new one's content.
   */
  readonly namesElsewhere?: boolean;
  /**
   * Purge axis: UNLINK/RMDIR records reach the slave (false: ignore-deletes). Default true. With
   * false, each op that puts an entry at a name is keepDeleted: a directory there may be kept.
   */
  readonly propagateDeletes?: boolean;
  /** Entry records are applied (false when replaying a changelog whose entry ops already landed: the entry-ops position). */
  readonly entryOps?: boolean;
  /**
   * The mass-delete brake holds this batch's deletes (delete-brake.ts): UNLINK/RMDIR records
   * go to Plan.held instead of the slave; a RENAME of a gfid the master has lost since is sent
   * as a plain rename (`gone` makes the slave drop every name of it); and an entry op that
   * would take a name whose delete is held (the slave would replace what the brake keeps
   * there), or that names a gfid or directory so blocked, is blocked (Plan.blocked).
   */
  readonly hold?: { readonly heldAt: (at: EntryName) => boolean };
  /**
   * The slave's copies are not known to hold what the index last confirmed: its index or ours
   * was rebuilt (a quarantine, a recreated slave), and the slave adopted what it found by name.
   * A file with nothing confirmed then goes with the quick check off (a delta transfer against
   * the adopted copy): one rewritten with its size and mtime put back must not be taken as sent.
   */
  readonly reverifyContent?: boolean;
}

export interface Seen {
  readonly rel: Buffer;
  readonly st: LstatView;
  /** What the index held as confirmed on the slave when the crawl read the row (null: nothing). */
  readonly synced?: SyncedAttrs | null;
}

export class ChangeClassifier {
  private readonly entryOps: EntryOp[] = [];
  private readonly data = new Map<Gfid, DataItem & { off: boolean }>();
  private readonly meta = new Set<Gfid>();
  /** Confirmed attrs the crawl read with the row (saves an index lookup per crawled file). */
  private readonly seenSynced = new Map<Gfid, SyncedAttrs | null>();
  private readonly touchedDirs = new Set<Gfid>();
  private readonly stats = new Map<Gfid, LstatView | null>();
  private readonly paths = new Map<Gfid, Buffer>();
  private readonly deletions: Plan['deletions'][number][] = [];
  /** Where this batch's entry records put each gfid (saves an index query per data record). */
  private readonly parents = new Map<Gfid, Gfid>();
  private readonly unresolved = new Set<Gfid>();
  /** gfids this batch makes on the slave (CREATE, MKDIR, MKNOD, SYMLINK). */
  private readonly made = new Set<Gfid>();
  /** Names of hard-linked files this batch makes (CREATE, LINK), confirmed when their gfid lands. */
  private readonly names: { readonly gfid: Gfid; readonly at: EntryName }[] = [];
  /** Deletes held by the brake, and the names they keep on the slave (see ClassifyOptions.hold). */
  private readonly held: HeldRecord[] = [];
  private readonly heldNames = new Set<string>();
  private readonly blocked = new Set<Gfid>();
  private applyEntries: boolean;

  constructor(
    private readonly root: Buffer,
    private readonly index: NameIndex & Pick<Confirmations, 'syncedOf'>,
    private readonly opts: ClassifyOptions,
  ) {
    this.applyEntries = opts.entryOps ?? true;
  }

  /** Whether entry records added from now on are applied (see ClassifyOptions.entryOps). */
  setEntryOps(on: boolean): void {
    this.applyEntries = on;
  }

  add(c: Change): void {
    switch (c.kind) {
      case 'E':
        this.addEntry(c);
        return;
      case 'D': {
        const st = this.stat(c.gfid);
        const path = this.paths.get(c.gfid);
        if (st === null || path === undefined || !st.isFile() || this.data.has(c.gfid)) return;
        this.data.set(c.gfid, {
          gfid: c.gfid,
          path,
          size: Number(st.size),
          mtimeNs: st.mtimeNs,
          ctimeNs: st.ctimeNs,
          ino: st.ino,
          sparse: st.blocks * 512n < st.size,
          off: this.quickCheckOff(c.gfid, st),
        });
        // The commit renames into every directory holding a name of the gfid on the slave. A
        // name whose directory the slave has not got yet (a later batch of this crawl makes
        // it) is not there, and that directory's attributes come with its own batch.
        const names = st.nlink > 1n ? this.index.namesOf(c.gfid) : [];
        if (names.length === 0) this.touchedDirs.add(this.parentOf(c.gfid));
        for (const n of names) if (this.dirOnSlave(n.pargfid)) this.touchedDirs.add(n.pargfid);
        return;
      }
      case 'M':
        if (this.stat(c.gfid) !== null) this.meta.add(c.gfid);
        return;
    }
  }

  plan(batch: string): Plan {
    const confirm = new Map<Gfid, SyncedAttrs>();
    const metaOps: MetaOp[] = [];
    const metaSent = new Set<Gfid>();
    const metaFor = (gfid: Gfid): void => {
      const st = this.stat(gfid);
      if (st === null) return;
      metaOps.push(metaOpOf(gfid, st));
      metaSent.add(gfid);
    };
    for (const gfid of this.meta) {
      const st = this.stat(gfid);
      if (st === null || this.touchedDirs.has(gfid) || this.blocked.has(gfid)) continue;
      // rsync -a carries mode, owner and times of the files it delivers.
      if (st.isFile() && this.data.has(gfid)) continue;
      metaFor(gfid);
    }
    // Directories last: entry ops and data commits inside them moved their mtimes.
    for (const gfid of this.touchedDirs) if (!this.blocked.has(gfid)) metaFor(gfid);
    for (const [gfid, st] of this.stats)
      if (st !== null && !this.blocked.has(gfid) && this.bringsAttrs(gfid, st, metaSent))
        confirm.set(gfid, attrsOf(st));
    const items = [...this.data.values()].filter((i) => !this.blocked.has(i.gfid));
    const strip = ({ gfid, path, size, mtimeNs, ctimeNs, ino, sparse }: DataItem): DataItem => ({
      gfid,
      path,
      size,
      mtimeNs,
      ctimeNs,
      ino,
      sparse,
    });
    return {
      batch,
      entryOps: this.entryOps.map((op) =>
        op.op === 'CREATE' && this.data.has(op.gfid) ? { ...op, deferred: true } : op,
      ),
      dataOff: items.filter((i) => i.off).map(strip),
      dataNs: items.filter((i) => !i.off).map(strip),
      metaOps,
      confirm,
      confirmNames: this.names.filter((n) => !this.blocked.has(n.gfid)),
      deletions: this.deletions,
      paths: this.paths,
      unresolved: [...this.unresolved],
      held: this.held,
      blocked: [...this.blocked],
    };
  }

  /**
   * Whether this batch brings the slave's copy of `gfid` to `st`, so the index may record
   * `st` as confirmed once it lands. A gfid this batch only names (RENAME, LINK) keeps what
   * was confirmed before: the slave moved the same file, whatever content it had. Recording
   * the master's current attrs there claimed content the slave never got, and the next
   * hybrid crawl then skipped the file for good (kill -9 e2e test).
   */
  private bringsAttrs(gfid: Gfid, st: LstatView, metaSent: ReadonlySet<Gfid>): boolean {
    if (this.data.has(gfid)) return true; // content and attrs come with rsync
    if (!this.made.has(gfid) && !metaSent.has(gfid)) return false;
    if (!st.isFile()) return true; // a directory, symlink or device is made or set here
    // A file's attrs without its data: only true if its content is what was confirmed before.
    const was = this.confirmedOf(gfid);
    if (was === null) return false;
    const d = attrDelta(was, attrsOf(st));
    return !d.content && !d.ctimeOnly;
  }

  private addEntry(c: EntryChange): void {
    if (!this.applyEntries) {
      // Replayed after its entry ops landed (a crash after them): the directories they changed
      // still get their times, which a crash before their meta ops left at the slave's own
      // (live kill probe: directory mtimes wrong after a completed checkpoint).
      this.touchedDirs.add(c.entry.pargfid);
      if (c.fop === 'RENAME') this.touchedDirs.add(c.to.pargfid);
      return;
    }
    if ((c.fop === 'UNLINK' || c.fop === 'RMDIR') && this.opts.propagateDeletes === false) return;
    // A directory the master has again (or still) is not removed: a later record explains it.
    if (c.fop === 'RMDIR' && this.stillDir(c.gfid)) return;
    if (this.isBlocked(c)) {
      this.blocked.add(c.gfid);
      return;
    }
    this.touchedDirs.add(c.entry.pargfid);
    if (c.fop === 'CREATE') this.parents.set(c.gfid, c.entry.pargfid);
    const entry = wire(c.entry);
    switch (c.fop) {
      case 'UNLINK':
      case 'RMDIR':
        if (this.opts.hold !== undefined) {
          this.held.push({ gfid: c.gfid, entry: c.entry, dir: c.fop === 'RMDIR' });
          this.heldNames.add(nameKey(c.entry));
          return;
        }
        // The gfid's last name on the master: the slave drops it wherever it has it (it may
        // hold it elsewhere still, a move there having failed), so no stale copy stays.
        this.entryOps.push({ op: c.fop, gfid: c.gfid, entry, ...(this.lost(c.gfid) ? { gone: true } : {}) });
        this.deletions.push({ gfid: c.gfid, entry: c.entry, dir: c.fop === 'RMDIR' });
        return;
      case 'RENAME': {
        this.touchedDirs.add(c.to.pargfid);
        // Sent even for a gfid the master has lost since: its UNLINK names only the new name,
        // so a dropped RENAME would leave the slave's copy at the old one (kill -9 e2e test).
        // Not while deletes are held or ignored: `gone` drops every slave name of the gfid.
        const sendsDeletes = this.opts.hold === undefined && this.opts.propagateDeletes !== false;
        const gone = sendsDeletes && this.stat(c.gfid) === null && this.index.objectOf(c.gfid) === undefined;
        const also = c.alsoNamed === undefined ? {} : { alsoNamed: c.alsoNamed.map(wire) };
        const flags = { ...(gone ? { gone } : {}), ...this.keeping() };
        this.entryOps.push({ op: 'RENAME', gfid: c.gfid, entry, to: wire(c.to), ...also, ...flags });
        return;
      }
      case 'LINK': {
        const st = this.stat(c.gfid, c.entry);
        if (st === null) return;
        this.entryOps.push({ op: 'LINK', gfid: c.gfid, entry, ...this.keeping() });
        if (st.isFile()) this.names.push({ gfid: c.gfid, at: c.entry });
        return;
      }
      case 'SYMLINK':
        this.addSymlink(c.gfid, c.entry, entry);
        return;
      case 'CREATE':
      case 'MKDIR':
      case 'MKNOD': {
        const st = this.stat(c.gfid, c.entry);
        if (st === null) return;
        const owned = { gfid: c.gfid, entry, mode: c.mode, uid: c.uid, gid: c.gid, ...this.keeping() };
        this.made.add(c.gfid);
        this.entryOps.push(
          c.fop === 'MKNOD' ? { op: 'MKNOD', ...owned, rdev: Number(st.rdev) } : { op: c.fop, ...owned },
        );
        // A hard-linked file's name is confirmed on its own (IndexedEntry.nameSynced).
        if (c.fop === 'CREATE' && st.nlink > 1n) this.names.push({ gfid: c.gfid, at: c.entry });
      }
    }
  }

  /**
   * While deletes are held: an entry op that would take a held name on the slave (replacing
   * what the brake keeps there), or that names a gfid or a parent directory already blocked.
   */
  private isBlocked(c: EntryChange): boolean {
    const hold = this.opts.hold;
    if (hold === undefined || c.fop === 'UNLINK' || c.fop === 'RMDIR') return false;
    if (this.blocked.has(c.gfid)) return true;
    const to = c.fop === 'RENAME' ? c.to : c.entry;
    return this.blocked.has(to.pargfid) || this.heldNames.has(nameKey(to)) || hold.heldAt(to);
  }

  private addSymlink(gfid: Gfid, at: EntryName, entry: WireEntry): void {
    const st = this.stat(gfid, at);
    const rel = this.paths.get(gfid);
    if (st === null || rel === undefined || !st.isSymbolicLink()) return;
    let target: Buffer;
    try {
      target = fs.readlinkSync(absPath(this.root, rel), { encoding: 'buffer' });
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'EINVAL')) return; // replaced in the interim: next turn
      throw e;
    }
    this.made.add(gfid);
    this.entryOps.push({
      op: 'SYMLINK',
      gfid,
      entry,
      target: escapeName(target),
      uid: Number(st.uid),
      gid: Number(st.gid),
      ...this.keeping(),
    });
  }

  /** keepDeleted for an op that puts an entry at a name, with ignore-deletes (ClassifyOptions.propagateDeletes). */
  private keeping(): { readonly keepDeleted?: true } {
    return this.opts.propagateDeletes === false ? { keepDeleted: true } : {};
  }

  /** A crawl-found change whose size and mtime match the confirmed ones can only be caught by content. */
  private quickCheckOff(gfid: Gfid, st: LstatView): boolean {
    if (this.opts.source === 'changelog') return true;
    const was = this.confirmedOf(gfid);
    if (was === null) return this.opts.reverifyContent === true;
    return attrDelta(was, attrsOf(st)).ctimeOnly;
  }

  /** What the slave last confirmed of `gfid`: as the crawl read it with the row, else from the index. */
  private confirmedOf(gfid: Gfid): SyncedAttrs | null {
    const known = this.seenSynced.get(gfid);
    if (known !== undefined) return known;
    return this.opts.unconfirmed === true ? null : this.index.syncedOf(gfid);
  }

  /** A directory this batch names in an entry op or makes, or one the slave confirmed. */
  private dirOnSlave(dir: Gfid): boolean {
    return dir === ROOT_GFID || this.touchedDirs.has(dir) || this.made.has(dir) || this.index.syncedOf(dir) !== null;
  }

  /** The directory holding a single-named gfid: from this batch's entry record, else the index. */
  private parentOf(gfid: Gfid): Gfid {
    const known = this.parents.get(gfid);
    if (known !== undefined) return known;
    const first = this.index.namesOf(gfid)[0];
    if (first === undefined) throw new Error(`gfid ${gfid} has a path but no name`); // stat() resolved it just before
    return first.pargfid;
  }

  /**
   * The master has the gfid no more: the recorder holds no name of it, and nothing is at a
   * path of it. The index is asked first: a gfid it still has is not stat'ed here, since a
   * stat that misses it (moved again since) would report it unresolved for an UNLINK alone.
   */
  private lost(gfid: Gfid): boolean {
    return this.index.objectOf(gfid) === undefined && this.stat(gfid) === null;
  }

  /**
   * lstat of the gfid's current master path, cached for the batch; null when it is gone. `at`:
   * the name an entry record puts the gfid at (see fromCrawlRecord).
   */
  /**
   * Whether the directory `gfid` is still on the master: something at its path, and a directory,
   * and (where the index knows its inode) the same one. A file or another directory now at the
   * name is not it: a one-shot crawl removes a replaced directory from the slave that way.
   */
  private stillDir(gfid: Gfid): boolean {
    const st = this.stat(gfid);
    if (st === null || !st.isDirectory()) return false;
    const ino = this.index.objectOf(gfid)?.ino;
    return ino === undefined || ino === st.ino;
  }

  private stat(gfid: Gfid, at?: EntryName): LstatView | null {
    const cached = this.stats.get(gfid);
    if (cached !== undefined) return cached;
    const seen = this.opts.seen?.get(gfid);
    if (seen !== undefined) {
      this.opts.seen?.delete(gfid);
      if (seen.synced !== undefined) this.seenSynced.set(gfid, seen.synced);
      this.paths.set(gfid, seen.rel);
      this.stats.set(gfid, seen.st);
      return seen.st;
    }
    // The gfid's object row, asked once: up front where inodes are checked, otherwise only for a
    // path that holds nothing (most crawled entries are where their path says).
    const checks = this.checksInodes();
    const known = checks ? this.index.objectOf(gfid) : undefined;
    const found = at === undefined ? null : this.fromCrawlRecord(gfid, at, known);
    if (found !== null) return found;
    const rel = this.index.pathOf(gfid);
    if (rel !== undefined) this.paths.set(gfid, rel);
    let st = lstatOrNull(this.root, rel);
    // pathOf gives a hard-linked file's first name, which may be one whose removal is still on
    // its way (a renamed directory's old name, in a one-shot re-run): another name will do.
    const file = st !== null ? undefined : checks ? known : this.index.objectOf(gfid);
    if (file?.type === 'file') {
      for (const n of this.index.namesOf(gfid)) {
        const dir = this.index.pathOf(n.pargfid);
        const other = dir === undefined ? undefined : joinRel(dir, n.name);
        const found = lstatOrNull(this.root, other);
        if (other === undefined || found === null || found.ino !== file.ino) continue;
        this.paths.set(gfid, other);
        st = found;
        break;
      }
    }
    if (checks) {
      // The path now holds another object (the gfid's moved away and a new one took its name):
      // reading it would send the wrong content. Data is addressed by gfid, never by a stale path.
      if (st !== null && known !== undefined && st.ino !== known.ino) st = null;
      // The recorder still has the gfid but not where it is now: it has not caught up yet.
      if (st === null && known !== undefined) this.unresolved.add(gfid);
    }
    this.stats.set(gfid, st);
    return st;
  }

  /** Whether a path's object must be the gfid's own inode (see ClassifyOptions.namesElsewhere). */
  private checksInodes(): boolean {
    return this.opts.source === 'changelog' || this.opts.namesElsewhere === true;
  }

  /**
   * A crawl's entry record names where the crawl found the entry a moment ago: its directory's
   * path (cached per directory) and the name. An lstat there saves looking the gfid's own path
   * up in the index, a query per entry (1 s of a 50,000-entry first sync's batches, which wait
   * for the seed copy without the crawl's lstat). Null when nothing is there now (moved since,
   * or a changelog's record), or where inodes are checked another object than `known` (the
   * gfid's object row): stat() then asks the index where the gfid is.
   */
  private fromCrawlRecord(gfid: Gfid, at: EntryName, known: ReturnType<NameIndex['objectOf']>): LstatView | null {
    if (this.opts.source !== 'crawl') return null;
    const dir = this.index.pathOf(at.pargfid);
    if (dir === undefined) return null;
    const rel = joinRel(dir, at.name);
    const st = lstatOrNull(this.root, rel);
    if (st === null) return null;
    if (known !== undefined && known.ino !== st.ino) return null; // another object took the name
    this.paths.set(gfid, rel);
    this.stats.set(gfid, st);
    return st;
  }
}

/** lstat of a master-relative path; null when nothing is there (or no path is known). */
function lstatOrNull(root: Buffer, rel: Buffer | undefined): LstatView | null {
  if (rel === undefined) return null;
  try {
    return fs.lstatSync(absPath(root, rel), { bigint: true });
  } catch (e) {
    if (!hasErrno(e, 'ENOENT', 'ENOTDIR')) throw e;
    return null;
  }
}

function nameKey(e: EntryName): string {
  return `${e.pargfid}/${e.name.toString('latin1')}`;
}

function wire(e: EntryName): WireEntry {
  return { pargfid: e.pargfid, name: escapeName(e.name) };
}

function metaOpOf(gfid: Gfid, st: LstatView): MetaOp {
  return {
    gfid,
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    atime: timespecOf(st.atimeNs),
    mtime: timespecOf(st.mtimeNs),
  };
}
