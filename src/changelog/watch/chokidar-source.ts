// ChokidarSource: a ChangeSource over chokidar 5 (fs.watch per file and directory, or stat polling
// for network filesystems). Invariant: every change chokidar reports reaches onHints within about
// batchMs, in order, and nothing is delivered after close() begins.
//
// chokidar 5 hazards this source works around or passes on (read from its index.js/handler.js):
// - Its 'change' event is throttled per path (50 ms, leading edge only): a second write within
//   that window is never reported. Each file's add/change hint is therefore followed by one more
//   'update' hint for the same path trailingMs after the last one, so the recorder re-reads it.
// - `atomic: true` (its default) silently drops names like `*.swp`, `*~`, `.subl*.tmp`; we set
//   false. It reads CHOKIDAR_USEPOLLING / CHOKIDAR_INTERVAL from the environment, overriding
//   usePolling / pollIntervalMs: leave them unset.
// - A watch that fails (ENOSPC: one inotify watch per file and directory) is an 'error' event and
//   'ready' still follows; a missing root gives 'ready' with nothing watched. Both fail start().
// - Polling: 'ready' precedes fs.watchFile's baseline stat, so start() waits one poll interval
//   more (without it, a file created just after start() was missed in about 1 run of 3).
// - Names that are not valid UTF-8 are never reported (chokidar stats the lossy U+FFFD name,
//   gets ENOENT and drops it): only a reconcile scan finds them.

import path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import type { ChokidarOptions, FSWatcher } from 'chokidar';
import { GeorepError } from '../../errors.js';
import { describeError, isWatchLimitError, watchLimitAdvice } from './watch-errors.js';
import type { ChangeHint, ChangeSource, ChangeSourceHandlers, ChangeSourceOptions, HintKind } from './change-source.js';

/** Default batching delay: events arriving within it go to onHints as one array (chokidar emits
 * one event per entry; a burst such as `tar x` becomes a few batches, like parcel's). */
export const CHOKIDAR_BATCH_MS = 20;
/** Default delay of the trailing re-hint; above chokidar's 50 ms change throttle. */
export const CHOKIDAR_TRAILING_MS = 100;

export interface ChokidarTuning {
  /** Batching delay, ms (default CHOKIDAR_BATCH_MS; 0 = next timer tick). */
  readonly batchMs?: number;
  /** Trailing re-hint delay, ms (default CHOKIDAR_TRAILING_MS). */
  readonly trailingMs?: number;
}

export interface ChokidarDeps {
  /** chokidar's watch(); tests wrap it to reach the FSWatcher and provoke errors. */
  readonly watch: (root: string, options: ChokidarOptions) => FSWatcher;
}

type State = 'idle' | 'starting' | 'running' | 'closed';

export class ChokidarSource implements ChangeSource {
  readonly name = 'chokidar' as const;
  private readonly root: string;
  private readonly batchMs: number;
  private readonly trailingMs: number;
  private state: State = 'idle';
  private watcher: FSWatcher | undefined;
  private handlers: ChangeSourceHandlers | undefined;
  private pending: ChangeHint[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  private startupLimitError: unknown;
  private wakeStart: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly opts: ChangeSourceOptions,
    tuning: ChokidarTuning = {},
    private readonly deps: ChokidarDeps = { watch: chokidarWatch },
  ) {
    this.root = path.resolve(opts.root);
    this.batchMs = tuning.batchMs ?? CHOKIDAR_BATCH_MS;
    this.trailingMs = tuning.trailingMs ?? CHOKIDAR_TRAILING_MS;
  }

  async start(handlers: ChangeSourceHandlers): Promise<void> {
    if (this.state !== 'idle') throw new Error(`ChokidarSource.start() called while ${this.state}`);
    this.state = 'starting';
    this.handlers = handlers;
    const { usePolling, pollIntervalMs } = this.opts;
    let watcher: FSWatcher;
    try {
      watcher = this.deps.watch(this.root, {
        ignoreInitial: true,
        usePolling,
        interval: pollIntervalMs,
        binaryInterval: pollIntervalMs,
        followSymlinks: false,
        atomic: false,
        awaitWriteFinish: false,
        persistent: true,
      });
    } catch (e) {
      this.state = 'closed';
      throw this.failed(`chokidar could not watch ${this.root} (${describeError(e)})`, e);
    }
    this.watcher = watcher;
    watcher.on('all', (event, p) => {
      const kind = hintKind(event);
      // Only file events are throttled by chokidar, so only they get a trailing re-hint.
      if (kind !== undefined) this.hint(p, kind, event === 'add' || event === 'change');
    });
    watcher.on('error', (e) => this.onError(e));
    await new Promise<void>((resolve) => {
      this.wakeStart = resolve;
      watcher.once('ready', resolve);
    });
    this.wakeStart = undefined;
    if (this.closed) return; // close() ran meanwhile and released the watcher
    if (usePolling) {
      // 'ready' comes before fs.watchFile has taken its first (baseline) stat of each directory,
      // which runs asynchronously: a change in between is in the baseline and never reported.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        this.wakeStart = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeStart = undefined;
      if (this.closed) return;
    }
    const problem = this.startProblem(watcher);
    if (problem !== undefined) {
      await this.close();
      throw problem;
    }
    this.state = 'running';
  }

  /** A getter, so TypeScript does not narrow `state` across the awaits in start(). */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  /** Why watching is not established although 'ready' came, or undefined when it is. */
  private startProblem(watcher: FSWatcher): GeorepError | undefined {
    if (this.startupLimitError !== undefined) {
      const e = this.startupLimitError;
      return new GeorepError(
        'WATCH_LIMIT',
        `cannot watch ${this.root}: the inotify watch limit was reached (${describeError(e)}); ${watchLimitAdvice()}`,
        { path: this.root, errno: 'ENOSPC', cause: e },
      );
    }
    // chokidar tracks a watched directory under its own path; a missing root or a file is not one.
    if (!Object.hasOwn(watcher.getWatched(), this.root)) {
      return this.failed(`cannot watch ${this.root}: it does not exist or is not a directory`, undefined);
    }
    return undefined;
  }

  private failed(message: string, cause: unknown): GeorepError {
    return new GeorepError('WATCH_FAILED', message, { path: this.root, cause });
  }

  private onError(e: unknown): void {
    if (this.state === 'closed') return;
    if (this.state === 'starting' && isWatchLimitError(e)) {
      this.startupLimitError ??= e;
      return;
    }
    const what = `chokidar reported an error while watching ${this.root}: ${describeError(e)}`;
    this.handlers?.onOverflow(
      isWatchLimitError(e)
        ? `${what}; entries added since are not watched: ${watchLimitAdvice()}; then restart the source and reconcile`
        : `${what}; events may have been missed: reconcile`,
    );
  }

  private hint(p: string, kind: HintKind, trail: boolean): void {
    if (this.state === 'closed') return;
    this.queue({ path: p, kind });
    const t = this.trailing.get(p);
    if (t !== undefined) clearTimeout(t);
    if (!trail) {
      this.trailing.delete(p);
      return;
    }
    this.trailing.set(
      p,
      setTimeout(() => {
        this.trailing.delete(p);
        this.queue({ path: p, kind: 'update' });
      }, this.trailingMs),
    );
  }

  private queue(h: ChangeHint): void {
    if (this.state === 'closed') return;
    this.pending.push(h);
    this.batchTimer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    this.batchTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (this.state !== 'closed' && batch.length > 0) this.handlers?.onHints(batch);
  }

  /** chokidar watches every directory as it appears and reports renamed subtrees in full: nothing to add. */
  watchSubtree(dir: string): Promise<void> {
    void dir;
    return Promise.resolve();
  }

  /** Nothing accumulates (see watchSubtree); a reconcile is what a missed event needs. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    // Every caller, the second one included, waits until the watcher is released.
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    this.state = 'closed';
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    for (const t of this.trailing.values()) clearTimeout(t);
    this.trailing.clear();
    this.pending = [];
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher === undefined) return;
    // close() removes every listener, yet a stat or readdir still in flight may end in
    // _handleError → emit('error'), which throws when nobody listens: we are closed, so drop it.
    const closing = watcher.close();
    watcher.on('error', () => undefined);
    // A start() still waiting for 'ready' would wait forever now that its listener is gone.
    this.wakeStart?.();
    await closing;
  }
}

function hintKind(event: string): HintKind | undefined {
  switch (event) {
    case 'add':
    case 'addDir':
      return 'create';
    case 'change':
      return 'update';
    case 'unlink':
    case 'unlinkDir':
      return 'delete';
    default:
      return undefined; // 'raw', 'ready', 'error' and 'all' carry no hint
  }
}
