// InotifySource: a ChangeSource over Node's own fs.watch, one inotify watch per directory, read
// by libuv on the JS thread. Why not @parcel/watcher: under CPU load it drops runs of events
// (measured: 17 consecutive rewrites lost out of 360k, two live e2e failures traced to it). Its
// debounce thread copies a watcher's pending events and then clears them in two steps, and an
// event its inotify thread adds in between is gone. libuv has no second thread and no batching:
// every event reaches our callback in the inotify queue's order.
//
// That order is what sync() builds on (watchman's "cookie"): it creates a marker file in a
// directory watched through the same inotify descriptor and waits for the marker's own event.
// Every change whose system call returned before the marker was created is queued ahead of it,
// so once the marker is seen, all of them have been handed to onHints: exact, not a time bound.
//
// Invariants: every directory under the root is watched from start() on, and a
// directory that appears is watched in the callback that reports it, before the recorder looks
// inside (what was made there before is for its scan to find); a watch whose directory was
// renamed or removed is released at the next sync(); nothing is delivered after close() begins.
// Limits: libuv drops an inotify queue overflow without a word (as parcel does): the recorder's
// periodic reconcile and a marker that never arrives (onOverflow) are what catch that.

import fs from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import { GeorepError, errnoOf, hasErrno } from '../../errors.js';
import { lstatIfAny } from '../entry-stat.js';
import { subdirNames } from '../dir-stats.js';
import { describeError, isWatchLimitError, watchLimitAdvice } from './watch-errors.js';
import type { ChangeHint, ChangeSource, ChangeSourceHandlers, ChangeSourceOptions } from './change-source.js';

interface Watch {
  readonly watcher: FSWatcher;
  readonly ino: bigint;
  /** The directory's path as bytes (a key in `watches` is its latin1 string). */
  readonly dir: Buffer;
}

type State = 'idle' | 'running' | 'closed';

const SEP = Buffer.from('/');
const COOKIE_PREFIX = 'cookie-';

export class InotifySource implements ChangeSource {
  readonly name = 'inotify' as const;
  private readonly root: Buffer;
  private state: State = 'idle';
  private handlers: ChangeSourceHandlers | undefined;
  /** Watched directories by path (latin1 of the bytes). */
  private readonly watches = new Map<string, Watch>();
  /** Watched paths a 'rename' event named: checked (and released if stale) at the next sync(). */
  private readonly suspects = new Set<string>();
  private cookieWatch: FSWatcher | undefined;
  private cookieSeq = 0;
  private readonly cookieWaiters = new Map<string, () => void>();
  /** Rejects a pending sync() when the source closes under it. */
  private readonly cookieClosers = new Map<string, () => void>();

  /** Where sync()'s markers go (opts.cookieDir) and how long it waits for one (opts.cookieTimeoutMs). */
  private readonly tuning: Pick<ChangeSourceOptions, 'cookieDir' | 'cookieTimeoutMs'>;

  constructor(opts: ChangeSourceOptions) {
    this.tuning = { cookieDir: opts.cookieDir, cookieTimeoutMs: opts.cookieTimeoutMs };
    const root = path.resolve(opts.root);
    this.root = Buffer.from(root);
  }

  // async although every step is synchronous: a failure is a rejection, as with the other sources.
  async start(handlers: ChangeSourceHandlers): Promise<void> {
    if (this.state !== 'idle') throw new Error(`InotifySource.start() called while ${this.state}`);
    this.handlers = handlers;
    const root = this.root.toString();
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(this.root, { bigint: true });
    } catch (e) {
      this.state = 'closed';
      throw this.startError(e, root);
    }
    if (!st.isDirectory()) {
      this.state = 'closed';
      throw new GeorepError('WATCH_FAILED', `cannot watch ${root}: not a directory; give the master directory`, {
        path: root,
      });
    }
    this.state = 'running';
    try {
      this.watchCookies();
      this.watchTree(this.root);
    } catch (e) {
      this.releaseAll();
      this.state = 'closed';
      throw this.startError(e, root);
    }
  }

  watchSubtree(dir: string): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    this.guard(() => this.watchTree(Buffer.from(dir)));
    return Promise.resolve();
  }

  refresh(): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    this.releaseTree();
    this.guard(() => this.watchTree(this.root));
    return Promise.resolve();
  }

  /**
   * Resolves once every change made before the call has been handed to onHints (see the header),
   * and releases watches of directories renamed or removed since. If the marker's event does not
   * come in time (an inotify queue overflow drops it too), reports an overflow and resolves: the
   * recorder then reconciles, which is what makes its claim true. Rejects when `signal` aborts
   * or the source closes first: nothing is proven then.
   */
  async sync(signal?: AbortSignal): Promise<void> {
    if (this.state !== 'running') return;
    this.sweepSuspects();
    const name = `${COOKIE_PREFIX}${process.pid}-${++this.cookieSeq}`;
    const file = path.join(this.tuning.cookieDir, name);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const seen = new Promise<boolean>((resolve, reject) => {
      this.cookieWaiters.set(name, () => resolve(true));
      this.cookieClosers.set(name, () => reject(new Error('the watcher closed before its marker was seen')));
      timer = setTimeout(() => resolve(false), this.tuning.cookieTimeoutMs);
      // A stop proves nothing: the caller must not vouch on it.
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      try {
        fs.writeFileSync(file, '');
      } catch (e) {
        // The marker folder went away: nothing can be proven this time; watch it afresh.
        this.handlers?.onOverflow(`cannot create the watcher's marker file ${file} (${describeError(e)}); reconciling`);
        this.cookieWatch?.close();
        this.guard(() => this.watchCookies());
        return;
      }
      const ok = await seen;
      if (!ok && this.state === 'running') {
        this.handlers?.onOverflow(
          `the watcher did not report its own marker file within ${this.tuning.cookieTimeoutMs} ms ` +
            '(an inotify queue overflow drops events without a word); reconciling',
        );
      }
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      this.cookieWaiters.delete(name);
      this.cookieClosers.delete(name);
      fs.rmSync(file, { force: true });
    }
  }

  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closed';
    this.releaseAll();
    for (const fail of this.cookieClosers.values()) fail();
    this.cookieClosers.clear();
    return Promise.resolve();
  }

  /** The marker directory, watched like any other: its events share the one inotify queue. */
  private watchCookies(): void {
    const dir = this.tuning.cookieDir;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith(COOKIE_PREFIX)) fs.rmSync(path.join(dir, old), { force: true });
    }
    this.cookieWatch = fs.watch(dir, { persistent: false }, (_type, name) => {
      if (name !== null) this.cookieWaiters.get(name)?.();
    });
    this.cookieWatch.on('error', () => undefined); // the directory went away: sync() times out and says so
  }

  /** Watches `dir` and every directory below it that is not watched yet (or watched stale). */
  private watchTree(dir: Buffer): void {
    const stack = [dir];
    while (stack.length > 0) {
      const cur = stack.pop() as Buffer; // length checked above
      if (!this.watchDir(cur)) continue;
      // The directory entries' types (d_type; an lstat where a filesystem leaves it unknown):
      // an lstat of every name cost 0.6 s of each start at 50k files, node:fs's Dirents 0.17 s.
      // watchDir lstats the directories it watches anyway, so one replaced since is not watched
      // as a directory.
      let names: Buffer[] | undefined;
      try {
        names = subdirNames(cur);
      } catch (e) {
        if (!this.unreadable(cur, e)) throw e;
      }
      for (const name of names ?? []) stack.push(Buffer.concat([cur, SEP, name]));
    }
  }

  /** Adds one directory's watch; false when it is gone. A stale watch at the same path is replaced. */
  private watchDir(dir: Buffer): boolean {
    let st: ReturnType<typeof lstatIfAny>;
    try {
      st = lstatIfAny(dir);
    } catch (e) {
      // Its parent lists (read) but may not be searched: nothing below it can be looked at.
      if (this.unreadable(dir, e)) return false;
      throw e;
    }
    if (st === undefined || !st.isDirectory()) return false;
    const key = dir.toString('latin1');
    const had = this.watches.get(key);
    if (had !== undefined && had.ino === st.ino) return true;
    // The new watch first: on the same inode libuv shares the kernel watch, so nothing is missed.
    let watcher: FSWatcher;
    try {
      watcher = fs.watch(dir, { persistent: false, encoding: 'buffer' }, (type, name) =>
        this.onEvent(dir, st.ino, type, name),
      );
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR') || this.unreadable(dir, e)) return false;
      throw e;
    }
    watcher.on('error', (e) => this.watchError(dir, e));
    if (had !== undefined) had.watcher.close();
    this.watches.set(key, { watcher, ino: st.ino, dir });
    return true;
  }

  /**
   * An exception here would end the process from inside fs.watch's callback: a directory this
   * user may no longer search (a chmod while watched) is said unreadable instead, and re-read
   * whole once it can be read again (the recorder's checkReadableAgain).
   */
  private onEvent(dir: Buffer, dirIno: bigint, type: string, name: Buffer | null): void {
    try {
      this.handleEvent(dir, dirIno, type, name);
    } catch (e) {
      if (!this.unreadable(dir, e)) throw e;
    }
  }

  private handleEvent(dir: Buffer, dirIno: bigint, type: string, name: Buffer | null): void {
    if (this.state !== 'running') return;
    const handlers = this.handlers;
    if (handlers === undefined) return;
    if (name === null) {
      handlers.onOverflow(`the watcher reported a change in ${dir.toString()} without a name`);
      return;
    }
    const full = Buffer.concat([dir, SEP, name]);
    const text = full.toString();
    if (type !== 'rename') {
      handlers.onHints([{ path: text, kind: 'update' }]);
      return;
    }
    const st = lstatIfAny(full);
    // What the lstat found is about the watched directory's entry only while that directory is
    // still at its path (one renamed away keeps its watch, under the old path, until sync).
    const here = lstatIfAny(dir)?.ino === dirIno;
    const key = full.toString('latin1');
    if (this.watches.has(key)) this.suspects.add(key);
    // A directory that arrived (made, or moved in) is watched now, before anything looks inside.
    if (st?.isDirectory() === true) this.guard(() => this.watchTree(full));
    const kind = st === undefined ? 'delete' : 'create';
    if (!here) {
      handlers.onHints([{ path: text, kind }]);
      return;
    }
    const found = st === undefined ? null : { ino: st.ino, nlink: st.nlink, file: st.isFile() };
    handlers.onHints([{ path: text, kind, found }]);
  }

  /** Releases the watches of suspect directories that are gone or another inode now, and below them. */
  private sweepSuspects(): void {
    for (const key of this.suspects) {
      const w = this.watches.get(key);
      if (w === undefined) continue;
      if (lstatIfAny(w.dir)?.ino === w.ino) continue;
      const prefix = key + '/';
      for (const [k, other] of this.watches) {
        if (k !== key && !k.startsWith(prefix)) continue;
        if (k !== key && lstatIfAny(other.dir)?.ino === other.ino) continue;
        other.watcher.close();
        this.watches.delete(k);
      }
    }
    this.suspects.clear();
  }

  /** Runs a watch step; a failure to watch becomes an overflow (the recorder reconciles and retries). */
  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      const advice = isWatchLimitError(e) ? `; ${watchLimitAdvice()}` : '';
      this.handlers?.onOverflow(`cannot watch a directory of ${this.root.toString()}: ${describeError(e)}${advice}`);
    }
  }

  /** True (and said once) when `e` says this user may not read `dir`: it is left unwatched. */
  private unreadable(dir: Buffer, e: unknown): boolean {
    if (!hasErrno(e, 'EACCES', 'EPERM')) return false;
    this.handlers?.onUnreadable?.(dir.toString(), errnoOf(e) ?? 'EACCES');
    return true;
  }

  private watchError(dir: Buffer, e: Error): void {
    if (this.state !== 'running') return;
    this.handlers?.onOverflow(
      `the watch on ${dir.toString()} failed: ${describeError(e)}; events may have been missed`,
    );
  }

  private releaseTree(): void {
    for (const w of this.watches.values()) w.watcher.close();
    this.watches.clear();
    this.suspects.clear();
  }

  private releaseAll(): void {
    this.releaseTree();
    this.cookieWatch?.close();
    this.cookieWatch = undefined;
  }

  private startError(e: unknown, root: string): GeorepError {
    if (isWatchLimitError(e)) {
      return new GeorepError(
        'WATCH_LIMIT',
        `cannot watch ${root}: the inotify watch limit was reached (${describeError(e)}); ${watchLimitAdvice()}`,
        { path: root, errno: 'ENOSPC', cause: e },
      );
    }
    return new GeorepError(
      'WATCH_FAILED',
      `cannot watch ${root} (${describeError(e)}); check that it exists and is a readable directory`,
      { path: root, cause: e },
    );
  }
}
