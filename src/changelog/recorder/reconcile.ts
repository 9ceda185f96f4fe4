// ReconcileScan: seed 000's accounting crawler for the recorder. Walks the master in preorder
// and compares every name with the gfid index (inode, type, size, mtime, ctime, owner, mode),
// so whatever changed while nobody watched is recorded: creates, writes, deletes, and renames
// (by inode). Rate-limited and resumable: the position is saved with each chunk's commit.

import type { Clock } from '../../clock.js';
import { encodePosition, passesFrom, shouldDescend, shouldVisit } from '../crawl-position.js';
import type { DirPath, Pass } from '../crawl-position.js';
import { absPath, joinRel } from '../rel-path.js';
import type { IndexedEntry, MetaKey, NameIndex, SessionMeta, StoreConnection } from '../../store/index.js';
import type { Gfid } from '../record.js';
import { ROOT_GFID } from '../record.js';
import type { Check, DirRef } from './tree-diff.js';
import { lstatIfAny } from '../entry-stat.js';
import { dirStats } from '../dir-stats.js';
import type { StatEntry } from '../dir-stats.js';
import { GeorepError, hasErrno } from '../../errors.js';

export const RECONCILE_POSITION_KEY = 'recorder.reconcile.position' satisfies MetaKey;

/**
 * The master root went while a scan read it (moved away, unmounted): what the scan had not
 * applied yet is dropped, since read against no root every name is a delete. The recorder
 * waits for the root to come back and reconciles it then (Recorder.checkRoot).
 */
export class RootGoneError extends GeorepError {
  constructor(root: Buffer) {
    super(
      'MASTER_MISSING',
      `the master root ${root.toString()} went while it was read; it is read again once it is back`,
    );
  }
}

/** Names looked at per transaction: large enough that commits are rare, small enough to keep memory flat. */
const CHUNK_NAMES = 4096;

export interface ReconcileDeps {
  /** Names to walk, meta to keep its position in. */
  readonly index: NameIndex & SessionMeta & Pick<StoreConnection, 'transaction'>;
  readonly root: Buffer;
  readonly clock: Clock;
  /** Applies one chunk of checks in one transaction; returns the vanished names it deferred. */
  readonly applyChunk: (checks: readonly Check[], deferVanished: boolean) => IndexedEntry[];
  /** Entries per second; 0 = unlimited. */
  readonly rate: number;
  readonly onProgress?: (scanned: number) => void;
  /**
   * End a chunk (apply it, then onProgress) once it holds a check and this long has passed
   * since it began, ms: a sweep finds few names among many, so its chunks would otherwise only
   * end with the walk, and what it found would wait for the whole tree. Unset: by count only.
   */
  readonly chunkMs?: number;
  /** Scan only this directory's subtree (not resumable); default: the whole tree, resumable. */
  readonly subtree?: DirRef;
  /**
   * A sweep (not resumable): every directory is listed, but in one whose own ctime is older than
   * this wall-clock time (ns) only names whose ctime is at or after it are looked at, and the
   * index's rows are not read. A directory's ctime moves when an entry comes or goes (a create,
   * unlink, rename or link there); a file's when it is written, linked, unlinked, renamed,
   * chmod'ed or chown'ed. So what changed since is found for about the price of listing the
   * tree, where a whole reconcile also reads every row (Recorder: blind writes, and a start
   * whose clocks ran evenly since its recorded-up-to time).
   */
  readonly changedSinceNs?: bigint;
}

interface DirTask extends DirRef {
  readonly comps: DirPath;
  /**
   * In a sweep, a directory where no entry came or went: the names of its subdirectories as
   * listed, so that the walk looks up only those in the index (see subdirs).
   */
  listedSubdirs?: Buffer[];
}

export class ReconcileScan {
  private scanned = 0;
  private startMs = 0;
  private readonly kept = new Map<string, IndexedEntry>();

  constructor(private readonly deps: ReconcileDeps) {}

  get entriesScanned(): number {
    return this.scanned;
  }

  /** A whole-tree reconcile keeps its position (a subtree scan or a sweep does not). */
  private get resumable(): boolean {
    return this.deps.subtree === undefined && this.deps.changedSinceNs === undefined;
  }

  /** One whole pass over the tree (resumed after a saved position, wrapping around). */
  async run(signal: AbortSignal): Promise<void> {
    this.startMs = this.deps.clock.nowMs();
    const saved = this.resumable ? this.deps.index.getMeta(RECONCILE_POSITION_KEY) : undefined;
    for (const pass of passesFrom(saved)) await this.walk(pass, signal);
    // Gone names are applied only against a root still there (one that went mid-scan made every
    // directory list as empty).
    if (lstatIfAny(this.deps.root)?.isDirectory() !== true) throw new RootGoneError(this.deps.root);
    // Names whose object vanished and never turned up elsewhere in the walk: gone for good.
    const last = [...this.kept.values()].map((row) => this.checkOf(row));
    this.kept.clear();
    this.deps.index.transaction(() => {
      this.deps.applyChunk(last, false);
      if (this.resumable) this.deps.index.setMeta(RECONCILE_POSITION_KEY, '');
    });
  }

  private async walk(pass: Pass, signal: AbortSignal): Promise<void> {
    const top = this.deps.subtree ?? { gfid: ROOT_GFID, rel: Buffer.alloc(0) };
    const stack: DirTask[] = [{ ...top, comps: [] }];
    while (stack.length > 0) {
      signal.throwIfAborted();
      const checks: Check[] = [];
      const visited: DirTask[] = [];
      const limit = this.deps.rate > 0 ? 1 : CHUNK_NAMES;
      const due = this.chunkDue();
      while (stack.length > 0 && checks.length < limit && !(checks.length > 0 && due())) {
        const dir = stack.pop() as DirTask; // length checked above
        if (shouldVisit(pass, dir.comps)) {
          const before = checks.length;
          this.checksOf(dir, checks);
          this.scanned += checks.length - before;
        }
        visited.push(dir);
      }
      this.deps.index.transaction(() => {
        for (const row of this.deps.applyChunk(checks, true)) this.kept.set(keyOf(row), row);
        const last = visited.at(-1);
        if (last !== undefined && this.resumable) {
          this.deps.index.setMeta(RECONCILE_POSITION_KEY, encodePosition(last.comps));
        }
      });
      // Subdirectories as the index now knows them (new ones got their gfids in this chunk).
      for (const dir of visited) {
        const subs = this.subdirs(dir);
        for (let i = subs.length - 1; i >= 0; i--) {
          const sub = subs[i] as DirTask;
          if (shouldDescend(pass, sub.comps)) stack.push(sub);
        }
      }
      this.deps.onProgress?.(this.scanned);
      await this.throttle(signal);
    }
  }

  /** Checks for every name of a directory: on disk, and in the index (to find what vanished). */
  private checksOf(dir: DirTask, out: Check[]): void {
    const since = this.deps.changedSinceNs;
    const abs = absPath(this.deps.root, dir.rel);
    if (dir.rel.length === 0 && lstatIfAny(abs)?.isDirectory() !== true) throw new RootGoneError(this.deps.root);
    const listed = listing(abs);
    if (listed === undefined) {
      // This user may not read it: nothing in it is checked, nothing taken as gone, and the
      // index's subdirectories below are not entered (they cannot be read through it either).
      dir.listedSubdirs = [];
      return;
    }
    if (since !== undefined && (lstatIfAny(abs)?.ctimeNs ?? since) < since) {
      // No entry came or went here since (that moves the directory's ctime): only names whose
      // own ctime moved can have changed, and its subdirectories are the ones the index has.
      const subs: Buffer[] = [];
      for (const { name, st } of listed) {
        if (st === undefined) continue;
        if (st.ctimeNs >= since) out.push({ dir, name, st });
        if (st.isDirectory()) subs.push(name);
      }
      dir.listedSubdirs = subs;
      return;
    }
    const rows = new Map<string, IndexedEntry>();
    for (const row of this.deps.index.children(dir.gfid)) rows.set(row.name.toString('latin1'), row);
    for (const { name, st } of listed) {
      const key = name.toString('latin1');
      out.push({ dir, name, st, row: rows.get(key) ?? null });
      rows.delete(key);
    }
    // Names the index has and the directory no longer lists: gone, or moved away.
    for (const row of rows.values()) out.push({ dir, name: row.name, st: undefined, row });
  }

  private subdirs(dir: DirTask): DirTask[] {
    const subs: DirTask[] = [];
    const known = dir.listedSubdirs === undefined ? undefined : this.lookupSubdirs(dir.gfid, dir.listedSubdirs);
    for (const sub of known ?? this.deps.index.subdirs(dir.gfid)) {
      subs.push({ gfid: sub.gfid, rel: joinRel(dir.rel, sub.name), comps: [...dir.comps, sub.name] });
    }
    // SQLite compares BLOBs with memcmp, as Buffer.compare does: already in walk order.
    return subs;
  }

  /**
   * The index's gfids of a directory's subdirectories listed on disk, in walk order; undefined
   * when the index does not have one of them as a directory (it is then asked for its own list).
   * Why: the index finds a directory's subdirectories by the type of every child's object (a
   * join per name); a sweep of 50,000 files in 1,251 directories spent 0.2 s on that, where a
   * lookup per listed subdirectory costs a few milliseconds.
   */
  private lookupSubdirs(gfid: Gfid, names: readonly Buffer[]): { name: Buffer; gfid: Gfid }[] | undefined {
    const subs: { name: Buffer; gfid: Gfid }[] = [];
    for (const name of names) {
      const row = this.deps.index.lookup(gfid, name);
      if (row?.type !== 'dir') return undefined;
      subs.push({ name, gfid: row.gfid });
    }
    return subs.sort((a, b) => Buffer.compare(a.name, b.name));
  }

  private checkOf(row: IndexedEntry): Check {
    const dirRel = this.deps.index.pathOf(row.pargfid);
    // A parent the index no longer has took the row with it: nothing left to look at.
    if (dirRel === undefined)
      return { dir: { gfid: row.pargfid, rel: Buffer.alloc(0) }, name: row.name, st: undefined };
    return {
      dir: { gfid: row.pargfid, rel: dirRel },
      name: row.name,
      st: lstatIfAny(absPath(this.deps.root, joinRel(dirRel, row.name))),
    };
  }

  /** Whether the chunk begun now has run for chunkMs (never, without one). */
  private chunkDue(): () => boolean {
    const { chunkMs, clock } = this.deps;
    if (chunkMs === undefined || chunkMs <= 0) return () => false;
    const endMs = clock.nowMs() + chunkMs;
    return () => clock.nowMs() >= endMs;
  }

  private async throttle(signal: AbortSignal): Promise<void> {
    if (this.deps.rate <= 0) return;
    const dueMs = (this.scanned / this.deps.rate) * 1000;
    const elapsed = this.deps.clock.nowMs() - this.startMs;
    if (dueMs > elapsed) await this.deps.clock.sleep(dueMs - elapsed, signal);
  }
}

const keyOf = (row: IndexedEntry): string => `${row.pargfid}/${row.name.toString('latin1')}`;

/**
 * A directory's entries with their lstat: none when it is gone (its names are then gone too),
 * undefined when this user may not read it (EACCES, EPERM). Before, such a directory stopped
 * the recorder at every start, and status said Active (one-shot probe, as a non-root user).
 */
function listing(abs: Buffer): StatEntry[] | undefined {
  try {
    return dirStats(abs) ?? [];
  } catch (e) {
    if (hasErrno(e, 'EACCES', 'EPERM')) return undefined;
    throw e;
  }
}
