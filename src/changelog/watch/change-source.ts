// ChangeSource: what the recorder needs from a file watcher (the contract every source
// implements; create-change-source.ts picks one). Only the contract lives here, so the sources
// depend on it and it on none of them.
// Invariant: a hint is never a fact (the recorder re-reads the tree), and whatever a source knows
// it may have missed is reported through onOverflow, so the recorder reconciles, never trusts silence.

import type { WatcherKind } from '../../config.js';

export type HintKind = 'create' | 'update' | 'delete';

/** What a source's lstat found at a name when it reported an entry event there (see ChangeHint.found). */
export interface SeenEntry {
  readonly ino: bigint;
  readonly nlink: bigint;
  /** A regular file (the only kind a write through a second name can reach). */
  readonly file: boolean;
}

/** A watcher's report that something at `path` (absolute, as the watcher gives it: a JS string that may be lossy for non-UTF-8 names) changed. A hint, not a fact: the recorder re-reads the tree. */
export interface ChangeHint {
  readonly path: string;
  readonly kind: HintKind;
  /**
   * On an entry event (a name appeared or went: create/delete), what the source's lstat found at
   * the name when its callback ran: the entry, or null for nothing. Absent when the source does
   * not look. It may already show a later state of the name; the recorder works out when it can
   * be trusted (WriteOrigins). Why it is carried: a name made and removed before any look (ln a
   * n; append n; rm n) leaves nothing else that tells which inode a write at it went to.
   */
  readonly found?: SeenEntry | null;
}

export interface ChangeSourceHandlers {
  /** A batch of hints, in the order the watcher delivered them. */
  readonly onHints: (hints: readonly ChangeHint[]) => void;
  /** The watcher may have missed events (queue overflow, watch limit reached, backend error): the recorder must run a reconcile scan. `reason` is for humans. */
  readonly onOverflow: (reason: string) => void;
  /**
   * A directory this user cannot read (EACCES, EPERM) is not watched, nor anything below it:
   * `dir` and the errno, once per directory and watch. The rest of the tree is watched all the
   * same; before, one such directory stopped the recorder at every start.
   */
  readonly onUnreadable?: (dir: string, errno: string) => void;
}

export interface ChangeSource {
  readonly name: WatcherKind;
  /** Starts watching `root` recursively; resolves once watching is established (events after this point are delivered). */
  start(handlers: ChangeSourceHandlers): Promise<void>;
  /**
   * Makes sure a subtree is watched under its current path. The recorder calls it after a
   * directory rename or the arrival of a directory tree: @parcel/watcher keeps reporting old
   * paths below a renamed directory and never watches subdirectories made before their
   * parent's watch. What happened there before is for the caller's rescan to find.
   */
  watchSubtree(dir: string): Promise<void>;
  /**
   * Watches the whole tree afresh (after a watcher error, and periodically to release what
   * watchSubtree added). Events during the switch may be lost: the caller reconciles after it.
   */
  refresh(): Promise<void>;
  /**
   * Resolves once every change made before the call has reached onHints (the inotify source's
   * marker file). Sources without it are trusted for changes older than watch-settle instead.
   */
  sync?(signal?: AbortSignal): Promise<void>;
  /** Stops watching; idempotent. */
  close(): Promise<void>;
}

export interface ChangeSourceOptions {
  readonly root: string;
  /** chokidar only: poll (for network filesystems). */
  readonly usePolling: boolean;
  /** chokidar polling interval, ms. */
  readonly pollIntervalMs: number;
  /** inotify only: a private directory for sync()'s marker files, outside the watched tree. */
  readonly cookieDir: string;
  /** inotify only: how long sync() waits for its marker (watch-cookie-timeout), ms. */
  readonly cookieTimeoutMs: number;
}
