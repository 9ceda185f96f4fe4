// XsyncCrawler: the hybrid crawl. Walks the master in preorder (children sorted by bytes),
// compares every entry with the gfid index and emits GlusterFS records for what the slave does
// not have yet. Rate-limited and resumable: the position is saved after each confirmed batch.
// Why this file is long: the walk's state (position, hard-link inodes seen, digests staged,
// what each batch saw) is shared by listing, skipping by digest, classifying and resuming.

import type { LstatView } from '../changelog/dir-stats.js';
import type { Clock } from '../clock.js';
import { ROOT_GFID, displayPath } from '../changelog/index.js';
import type { Change, DirPath, EntryName, EntryType, Gfid, Pass, SyncedAttrs } from '../changelog/index.js';
import type {
  DigestStore,
  IndexedEntry,
  MetaKey,
  NameIndex,
  SessionMeta,
  StagedChild,
  StoreConnection,
} from '../store/index.js';
import type { Seen } from './process-change.js';
import { attrsOf, encodePosition, entryTypeOf, passesFrom, shouldDescend, shouldVisit } from '../changelog/index.js';
import { dirDigest } from './dir-digest.js';
import { holdsLinkedFile, listDir, subdirsOf } from './dir-listing.js';
import type { DirPrefetch } from './dir-prefetch.js';
import type { ListedChild } from './dir-listing.js';
import { SLAVE_STATE_DIR } from '../session-files.js';

/** What a crawl must do for an entry the index already holds. */
export type Need = 'none' | 'create' | 'update';

/** The mode and purge axes, as the crawler sees them. */
export interface CrawlPolicy {
  classify(row: IndexedEntry, now: SyncedAttrs): Need;
  readonly propagateDeletes: boolean;
  /** Character and block devices can be made on the slave (agent runs as root). */
  readonly devicesAllowed: boolean;
  /**
   * The crawl assigns gfids and keeps names (one-shot sync). When false (the live daemon) the
   * recorder owns every name: the crawl only reads them, and leaves whatever the recorder has
   * not recorded yet (new, replaced or vanished names) to the changelogs that will say so.
   */
  readonly ownsNames: boolean;
  /**
   * Directory digests (dir-digest.ts): a directory whose children match its stored digest is
   * skipped, and digests are stored (at once when clean, else staged until the turn's
   * confirmations are in). Off in recover mode (it trusts no confirmation) and on a full crawl
   * (it looks at everything), which still stores them when `storeDigests` (default: useDigests).
   */
  readonly useDigests: boolean;
  readonly storeDigests?: boolean;
}

/** Receives records; flush() closes the batch and resolves once it is confirmed on the slave. */
export interface RecordSink {
  append(c: Change): void;
  readonly pending: number;
  flush(): Promise<void>;
}

export interface CrawlerDeps {
  /** Names it brings in step with the master, the digests that skip clean directories, its position. */
  readonly index: NameIndex & DigestStore & SessionMeta & Pick<StoreConnection, 'transaction'>;
  readonly clock: Clock;
  readonly sink: RecordSink;
  readonly onSkip: (path: string, reason: string) => void;
  readonly onScan?: (scanned: number) => void;
  /** Directories listed ahead while the slave was being reached (dir-prefetch.ts). */
  readonly prefetch?: DirPrefetch;
}

export interface CrawlerConfig {
  readonly root: Buffer;
  readonly batchEntries: number;
  /** Entries per second; 0 = unlimited. */
  readonly crawlRate: number;
  readonly policy: CrawlPolicy;
}

export const POSITION_KEY = 'xsync.position' satisfies MetaKey;
/** Entries crawled per index transaction: large enough that commits are rare, small enough to keep memory flat. */
const TX_ENTRIES = 4096;

interface DirTask {
  readonly gfid: Gfid;
  readonly rel: Buffer;
  readonly comps: DirPath;
}

export class XsyncCrawler {
  private scanned = 0;
  private unchangedDirs = 0;
  private startMs = 0;
  /** gfids created or confirmed present in this turn: a later name with the same inode is a LINK. */
  private readonly seenByIno = new Map<bigint, Gfid>();
  private readonly deferredLinks: { at: EntryName; st: LstatView; rel: Buffer }[] = [];
  /** Directories visited in this turn (for the slave's purge of unknown entries). */
  readonly dirs: Gfid[] = [];
  /**
   * Directories gone when their turn came (moved or removed since their parent was listed):
   * the crawl saw neither their entries nor, for one moved, its new place. The turn answers
   * for them (crawl-xsync.ts): left unsaid, a directory renamed during a first sync arrived on
   * the slave empty and a checkpoint completed.
   */
  readonly goneDirs: { readonly gfid: Gfid; readonly rel: Buffer }[] = [];
  /**
   * Directories this user cannot list (DirListing.unreadable), with the errno: their entries
   * were neither synced nor taken as gone. The turn reports them (crawl-xsync.ts).
   */
  readonly unreadableDirs: { readonly gfid: Gfid; readonly rel: Buffer; readonly errno: string }[] = [];
  /** Names where a directory now of another type waits for its removal from the slave (visitEntry). */
  readonly replacedDirs: Buffer[] = [];
  /** Path and lstat of each gfid recorded since the last takeSeen(), for process_change. */
  private seen = new Map<Gfid, Seen>();

  constructor(
    private readonly cfg: CrawlerConfig,
    private readonly deps: CrawlerDeps,
  ) {}

  /**
   * What the crawl saw of the gfids recorded since the last call (a batch's), for its
   * process_change. Each batch gets its own map, so that one whose processing waits (behind a
   * seed copy) can drop it: the crawl's lstat of a whole tree is not kept.
   */
  takeSeen(): Map<Gfid, Seen> {
    const batch = this.seen;
    this.seen = new Map();
    return batch;
  }

  get entriesScanned(): number {
    return this.scanned;
  }

  /** Directories this turn found unchanged by their digest (their children's rows not read). */
  get dirsUnchanged(): number {
    return this.unchangedDirs;
  }

  /** One full turn. Resumes after a saved position, wrapping around to cover every directory. */
  async crawl(signal?: AbortSignal): Promise<void> {
    this.startMs = this.deps.clock.nowMs();
    const saved = this.deps.index.getMeta(POSITION_KEY);
    this.deps.index.dropStagedDigests(); // an earlier turn's that did not land
    for (const pass of passesFrom(saved)) await this.walk(pass, signal);
    this.emitDeferredLinks();
    await this.deps.sink.flush();
    this.deps.index.setMeta(POSITION_KEY, '');
  }

  private async walk(pass: Pass, signal?: AbortSignal): Promise<void> {
    const stack: DirTask[] = [{ gfid: ROOT_GFID, rel: Buffer.alloc(0), comps: [] }];
    while (stack.length > 0) {
      signal?.throwIfAborted();
      // Directories are crawled in chunks of about TX_ENTRIES entries, each chunk one index
      // transaction: a commit per directory cost more than the crawl itself on big trees.
      const full = this.deps.index.transaction(() => this.crawlChunk(pass, stack));
      if (full !== undefined) {
        await this.deps.sink.flush();
        this.deps.index.setMeta(POSITION_KEY, encodePosition(full.comps));
      }
      await this.throttle(signal);
    }
  }

  /** Crawls directories until a chunk's worth of entries; returns the directory that filled a batch. */
  private crawlChunk(pass: Pass, stack: DirTask[]): DirTask | undefined {
    const start = this.scanned;
    // A rate-limited crawl yields after every directory, so its sleeps stay short and even.
    const limit = this.cfg.crawlRate > 0 ? 1 : TX_ENTRIES;
    while (stack.length > 0 && this.scanned - start < limit) {
      const dir = stack.pop() as DirTask; // length checked above
      const visit = shouldVisit(pass, dir.comps);
      const subdirs = this.crawlDir(dir, visit);
      for (let i = subdirs.length - 1; i >= 0; i--) {
        const sub = subdirs[i] as DirTask;
        if (shouldDescend(pass, sub.comps)) stack.push(sub);
      }
      if (visit && this.deps.sink.pending >= this.cfg.batchEntries) return dir;
      if (this.cfg.crawlRate > 0) break;
    }
    return undefined;
  }

  /** Emits records for one directory's entries (when visited); returns its subdirectories. */
  private crawlDir(dir: DirTask, visit: boolean): DirTask[] {
    const prefetched = visit ? this.prefetched(dir) : undefined;
    if (prefetched !== undefined) return prefetched;
    const { children, reserved, gone, unreadable } = listDir(this.cfg.root, dir.rel);
    // Gone since its parent was listed (or prefetched): its entries are not vanished for it.
    if (gone) {
      this.goneDirs.push({ gfid: dir.gfid, rel: dir.rel });
      return [];
    }
    // Nor for one it cannot read; nor is it purged of what the slave holds (not in `dirs`).
    if (unreadable !== undefined) {
      this.unreadableDirs.push({ gfid: dir.gfid, rel: dir.rel, errno: unreadable });
      return [];
    }
    if (!visit) return this.passThrough(dir, children);
    this.dirs.push(dir.gfid);
    this.scanned += children.length;
    if (reserved)
      this.deps.onSkip(SLAVE_STATE_DIR, `the name ${SLAVE_STATE_DIR} is reserved for the slave control folder`);
    const { useDigests, storeDigests = useDigests } = this.cfg.policy;
    const digest = (useDigests || storeDigests) && !reserved ? dirDigest(children) : undefined;
    if (digest !== undefined && useDigests) {
      const unchanged = this.unchangedSubdirs(dir, children, digest);
      if (unchanged !== undefined) return unchanged;
    }
    const known = new Map<string, IndexedEntry>();
    for (const row of this.deps.index.children(dir.gfid)) known.set(row.name.toString('latin1'), row);
    const subdirs: DirTask[] = [];
    const gfids: (Gfid | undefined)[] = []; // each child's, in listing order
    let clean = true; // every child confirmed as it is now
    let whole = true; // every child is indexed here (so its confirmation can be checked)
    for (const child of children) {
      const { name, st } = child;
      const key = name.toString('latin1');
      const row = known.get(key);
      known.delete(key);
      const { gfid, need } = this.visitEntry(dir.gfid, child, row);
      if (need !== 'none') clean = false;
      // No gfid: skipped (a socket), a later name of a hard-linked inode, or left to the recorder.
      if (gfid === undefined) whole = false;
      else if (st.isDirectory()) subdirs.push({ gfid, rel: child.rel, comps: [...dir.comps, name] });
      gfids.push(gfid);
    }
    for (const gone of known.values()) {
      this.vanished(gone);
      clean = whole = false;
    }
    if (digest !== undefined && whole) {
      const d = { digest, subdirs: subdirs.map((s) => s.gfid) };
      // Clean: the next crawl may skip this directory's rows. Otherwise, once the entries this
      // turn sends are confirmed as listed (staged until the turn ends, see crawl-xsync.ts).
      if (clean) this.deps.index.setDirDigest(dir.gfid, d);
      else this.deps.index.stageDirDigest(dir.gfid, d, this.listedChildren(children, gfids));
    }
    return subdirs;
  }

  /** What was listed of each child, for a staged digest (`gfids`: every child's, none missing). */
  private listedChildren(children: readonly ListedChild[], gfids: readonly (Gfid | undefined)[]): StagedChild[] {
    return children.map(({ st }, i) => ({
      gfid: gfids[i] as Gfid, // the caller's `whole`: every child has one
      type: entryTypeOf(st),
      ino: st.ino,
      attrs: attrsOf(st),
    }));
  }

  /** A directory outside this pass (a resumed crawl's earlier part): only its indexed subdirectories. */
  private passThrough(dir: DirTask, children: readonly ListedChild[]): DirTask[] {
    const subdirs: DirTask[] = [];
    for (const { name, rel, st } of children) {
      if (!st.isDirectory()) continue;
      const gfid = this.deps.index.lookup(dir.gfid, name)?.gfid;
      if (gfid !== undefined) subdirs.push({ gfid, rel, comps: [...dir.comps, name] });
    }
    return subdirs;
  }

  /**
   * The subdirectories of a directory whose children match its stored digest, from the index;
   * undefined when they do not match (or a child is hard-linked: the walk must then see it, so
   * that a new name of its inode elsewhere is recorded as a LINK).
   */
  private unchangedSubdirs(dir: DirTask, children: readonly ListedChild[], digest: Buffer): DirTask[] | undefined {
    if (holdsLinkedFile(children)) return undefined;
    return this.storedSubdirs(dir, digest, subdirsOf(children));
  }

  /** A directory the prefetch found unchanged, visited as unchangedSubdirs would (no listing). */
  private prefetched(dir: DirTask): DirTask[] | undefined {
    const pre = this.deps.prefetch?.dirs.get(dir.rel.toString('latin1'));
    if (pre === undefined || pre.reserved || pre.linked || !this.cfg.policy.useDigests) return undefined;
    const subdirs = this.storedSubdirs(dir, pre.digest, pre.subdirs);
    if (subdirs === undefined) return undefined;
    this.dirs.push(dir.gfid);
    this.scanned += pre.count;
    return subdirs;
  }

  private storedSubdirs(
    dir: DirTask,
    digest: Buffer,
    dirs: readonly { readonly name: Buffer; readonly rel: Buffer }[],
  ): DirTask[] | undefined {
    const stored = this.deps.index.dirDigest(dir.gfid);
    if (stored === undefined || !stored.digest.equals(digest)) return undefined;
    // Equal digests mean equal children, so equal subdirectories; this only guards the pairing.
    if (stored.subdirs.length !== dirs.length) return undefined;
    this.unchangedDirs++;
    return dirs.map((c, i) => ({ gfid: stored.subdirs[i] as Gfid, rel: c.rel, comps: [...dir.comps, c.name] }));
  }

  private visitEntry(
    pargfid: Gfid,
    child: ListedChild,
    row: IndexedEntry | undefined,
  ): { gfid: Gfid | undefined; need: Need } {
    const { name, rel, st } = child;
    const type = entryTypeOf(st);
    const at: EntryName = { pargfid, name };
    const now = attrsOf(st);
    if (row !== undefined && row.type === type && row.ino === st.ino && !this.symlinkChanged(row, now, child.target)) {
      const need = this.cfg.policy.classify(row, now);
      // An object's confirmation says nothing of a hard-linked file's other names, which may
      // sit in a batch that never reached the slave (or a slave seeded without -H holds them
      // as separate files). Each name not yet confirmed on its own (nameSynced) is sent as an
      // entry op; the agent links the ones it lacks and finds the others present.
      const named = type === 'file' && st.nlink > 1n && !row.nameSynced;
      if (need !== 'none' || named) this.seen.set(row.gfid, { rel, st, synced: row.synced });
      if (need === 'create') this.emitCreate(row.gfid, type, at, st);
      else if (need === 'update') this.emitUpdate(row.gfid, type, row.synced, now);
      if (need !== 'create' && named) this.emitName(row.gfid, at, st);
      this.seenByIno.set(st.ino, row.gfid);
      return { gfid: row.gfid, need: need === 'none' && named ? 'update' : need };
    }
    if (!this.cfg.policy.ownsNames) return { gfid: undefined, need: 'create' };
    // An empty one (as far as the index knows) the agent replaces at once: one run, as before.
    if (row?.type === 'dir' && this.cfg.policy.propagateDeletes && this.deps.index.children(row.gfid).length > 0) {
      // Another object stood here, a directory (a new one is another directory: rm -rf d && mv
      // d.new d): the slave's must go first, with what it holds (the agent never
      // empties a directory to make room for an entry). Its RMDIR goes as any delete (held to
      // the turn's end by the mass-delete brake, refused over its limits), its rows stay until
      // the slave confirms it, as a vanished directory's do, so a run whose RMDIR did not land
      // sends it again; the new entry takes the name at the run after. Dropped from the index
      // at once instead, the RMDIR was sent once at most and a refused one left the slave's
      // directory in the way for good (ENOTEMPTY at every run).
      this.deps.sink.append({
        kind: 'E',
        gfid: row.gfid,
        fop: 'RMDIR',
        entry: { pargfid: row.pargfid, name: row.name },
      });
      this.replacedDirs.push(rel);
      return { gfid: undefined, need: 'create' };
    }
    if (row !== undefined) this.replaced(row);
    if (type === 'file' && st.nlink > 1n) {
      this.deferredLinks.push({ at, st, rel });
      return { gfid: undefined, need: 'create' };
    }
    return { gfid: this.createNew(type, at, st, rel, child.target), need: 'create' };
  }

  /**
   * A symlink with another target is another object (new gfid): SYMLINK of a known gfid is a
   * no-op. The target the gfid stands for decides; an index from before targets were kept
   * falls back to a change of size or mtime.
   */
  private symlinkChanged(row: IndexedEntry, now: SyncedAttrs, target: Buffer | undefined): boolean {
    if (row.type !== 'symlink') return false;
    if (row.target !== null) return target !== undefined && !target.equals(row.target);
    if (target !== undefined && this.cfg.policy.ownsNames) this.deps.index.setTarget(row.gfid, target);
    return row.synced !== null && (row.synced.mtimeNs !== now.mtimeNs || row.synced.size !== now.size);
  }

  private createNew(type: EntryType, at: EntryName, st: LstatView, rel: Buffer, target?: Buffer): Gfid | undefined {
    if (!this.replicable(type, rel)) return undefined;
    const gfid = this.deps.index.create(type, st.ino, at);
    if (target !== undefined) this.deps.index.setTarget(gfid, target);
    this.seen.set(gfid, { rel, st, synced: null });
    this.emitCreate(gfid, type, at, st);
    this.seenByIno.set(st.ino, gfid);
    return gfid;
  }

  private replicable(type: EntryType, rel: Buffer): boolean {
    if (type === 'socket') {
      this.deps.onSkip(displayPath(rel), 'sockets are not replicated (a copy would be meaningless)');
      return false;
    }
    if ((type === 'chardev' || type === 'blockdev') && !this.cfg.policy.devicesAllowed) {
      this.deps.onSkip(displayPath(rel), 'devices are replicated only when the slave agent runs as root');
      return false;
    }
    return true;
  }

  private emitCreate(gfid: Gfid, type: EntryType, entry: EntryName, st: LstatView): void {
    const sink = this.deps.sink;
    const owned = { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), entry };
    switch (type) {
      case 'file':
        sink.append({ kind: 'E', gfid, fop: 'CREATE', ...owned });
        sink.append({ kind: 'D', gfid });
        return;
      case 'dir':
        sink.append({ kind: 'E', gfid, fop: 'MKDIR', ...owned });
        sink.append({ kind: 'M', gfid, fop: 'SETATTR' });
        return;
      case 'symlink':
        sink.append({ kind: 'E', gfid, fop: 'SYMLINK', entry });
        sink.append({ kind: 'M', gfid, fop: 'SETATTR' });
        return;
      default:
        sink.append({ kind: 'E', gfid, fop: 'MKNOD', ...owned });
        sink.append({ kind: 'M', gfid, fop: 'SETATTR' });
    }
  }

  /** One name of a known file, as a CREATE: the agent makes it a link to the gfid's file, or finds it there. */
  private emitName(gfid: Gfid, entry: EntryName, st: LstatView): void {
    this.deps.sink.append({
      kind: 'E',
      gfid,
      fop: 'CREATE',
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      entry,
    });
  }

  private emitUpdate(gfid: Gfid, type: EntryType, was: SyncedAttrs | null, now: SyncedAttrs): void {
    const content =
      type === 'file' &&
      (was === null || was.size !== now.size || was.mtimeNs !== now.mtimeNs || was.ctimeNs !== now.ctimeNs);
    if (content) this.deps.sink.append({ kind: 'D', gfid });
    this.deps.sink.append({ kind: 'M', gfid, fop: 'SETATTR' });
  }

  /** The name now holds another object: forget the old one here; the slave replaces its occupant. */
  private replaced(row: IndexedEntry): void {
    if (row.type === 'dir') this.deps.index.removeTree(row.gfid);
    else this.deps.index.unlink({ pargfid: row.pargfid, name: row.name });
  }

  /** An indexed name that is gone from the master. Index removal waits for the slave's confirmation. */
  private vanished(row: IndexedEntry): void {
    if (!this.cfg.policy.ownsNames) return;
    const entry = { pargfid: row.pargfid, name: row.name };
    if (!this.cfg.policy.propagateDeletes) {
      if (row.type === 'dir') this.deps.index.removeTree(row.gfid);
      else this.deps.index.unlink(entry);
      return;
    }
    this.deps.sink.append({ kind: 'E', gfid: row.gfid, fop: row.type === 'dir' ? 'RMDIR' : 'UNLINK', entry });
  }

  /** New names of multi-link files, resolved after the walk so every name of a group is known. */
  private emitDeferredLinks(): void {
    for (const { at, st, rel } of this.deferredLinks) {
      const existing = this.seenByIno.get(st.ino);
      if (existing === undefined) {
        this.createNew('file', at, st, rel);
        continue;
      }
      this.deps.index.link(existing, at);
      this.deps.sink.append({ kind: 'E', gfid: existing, fop: 'LINK', entry: at });
    }
    this.deferredLinks.length = 0;
  }

  private async throttle(signal?: AbortSignal): Promise<void> {
    this.deps.onScan?.(this.scanned);
    // Between chunks the event loop runs: replies, timers and child processes (a seed copy)
    // would otherwise wait for the whole walk.
    if (this.cfg.crawlRate <= 0) return new Promise((resolve) => setImmediate(resolve));
    const dueMs = (this.scanned / this.cfg.crawlRate) * 1000;
    const elapsed = this.deps.clock.nowMs() - this.startMs;
    if (dueMs > elapsed) await this.deps.clock.sleep(dueMs - elapsed, signal);
  }
}
