// ParcelSource: a ChangeSource over @parcel/watcher (inotify on Linux: one watch per directory).
// Invariant: nothing is delivered after close() begins.
//
// How @parcel/watcher 2.6.0 reports trouble (read from its src/*.cc; checked on Linux 6.x):
// - subscribe() rejects with a plain Error whose message is parcel's own text plus strerror, no
//   `code`: the watch limit gives "inotify_add_watch on '<dir>' failed: No space left on device";
//   a missing root gives "Bad file descriptor", a file as root "Not a directory".
// - The callback gets `err` (events = []) only when its backend thread dies (inotify read or poll
//   failed). Parcel has then dropped the subscription: nothing more will arrive until restarted.
// - Silent gaps it does NOT report: IN_Q_OVERFLOW is skipped; a watch that fails for a directory
//   created later (limit reached) is skipped; a new directory's subdirectories made before its
//   watch was added (`mkdir -p a/b/c`) are never watched, and files created in that window are
//   not reported; after a directory rename, events deeper than its direct children keep the old
//   path. Only a reconcile scan catches these.
// - A batch is coalesced per path and ordered by path, not by time: create+delete of one path
//   cancel out; delete then create becomes 'update'. Non-UTF-8 names arrive with U+FFFD.
// - If inotify_init1 fails (fs.inotify.max_user_instances used up by this user), the first
//   subscribe() blocks the JS thread for good: parcel waits for a backend thread that died.
// - unsubscribe() can reject with "Unable to remove watcher: Invalid argument" when a watched
//   directory is already gone (parcel-bundler/watcher#129); see close().

import path from 'node:path';
import type { AsyncSubscription, Event, Options, SubscribeCallback } from '@parcel/watcher';
import { GeorepError } from '../../errors.js';
import { describeError, isWatchLimitError, watchLimitAdvice } from './watch-errors.js';
import type { ChangeHint, ChangeSource, ChangeSourceHandlers, ChangeSourceOptions, HintKind } from './change-source.js';

/** The part of @parcel/watcher this source calls. */
export interface ParcelApi {
  subscribe(dir: string, fn: SubscribeCallback, opts?: Options): Promise<AsyncSubscription>;
}

export interface ParcelSourceDeps {
  /** Loads @parcel/watcher; tests inject a fake to provoke failures that are hard to cause for real. */
  readonly load: () => Promise<ParcelApi>;
}

/** Loaded on first start() only, so modules that never watch do not load the native addon. */
async function loadParcel(): Promise<ParcelApi> {
  const mod = await import('@parcel/watcher');
  return mod.default;
}

/** Parcel's own message says what failed but not what the recorder does about it. */
function callbackErrorReason(root: string, err: Error): string {
  const what = `@parcel/watcher stopped watching ${root}: ${err.message}`;
  if (isWatchLimitError(err)) return `${what}; ${watchLimitAdvice()}; restart the source, then reconcile`;
  return `${what}; events may have been missed: restart the source, then reconcile`;
}

type State = 'idle' | 'starting' | 'running' | 'closed';

export class ParcelSource implements ChangeSource {
  readonly name = 'parcel' as const;
  private readonly root: string;
  private state: State = 'idle';
  private subscription: AsyncSubscription | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private onEvents: SubscribeCallback | undefined;
  /** Watchers rooted at subtrees (see watchSubtree), released by refresh() and close(). */
  private readonly extra: AsyncSubscription[] = [];

  constructor(
    opts: ChangeSourceOptions,
    private readonly deps: ParcelSourceDeps = { load: loadParcel },
  ) {
    this.root = path.resolve(opts.root);
  }

  start(handlers: ChangeSourceHandlers): Promise<void> {
    if (this.state !== 'idle') throw new Error(`ParcelSource.start() called while ${this.state}`);
    this.state = 'starting';
    this.starting = this.subscribe(handlers);
    return this.starting;
  }

  private async subscribe(handlers: ChangeSourceHandlers): Promise<void> {
    const onEvents: SubscribeCallback = (err, events) => {
      // Events that beat subscribe()'s resolution are delivered too: a hint more never hurts.
      if (this.state === 'closed') return;
      if (err) {
        handlers.onOverflow(callbackErrorReason(this.root, err));
        return;
      }
      const hints = this.toHints(events);
      if (hints.length > 0) handlers.onHints(hints);
    };
    this.onEvents = onEvents;
    let sub: AsyncSubscription;
    try {
      const api = await this.deps.load();
      sub = await api.subscribe(this.root, onEvents, this.parcelOptions());
    } catch (e) {
      this.state = 'closed';
      throw this.startError(e);
    }
    if (this.state === 'closed') {
      // close() ran while subscribing: it waits for us, so release the subscription here.
      await this.unsubscribe(sub);
      return;
    }
    this.subscription = sub;
    this.state = 'running';
  }

  async watchSubtree(dir: string): Promise<void> {
    const onEvents = this.onEvents;
    if (this.state !== 'running' || onEvents === undefined) return;
    let sub: AsyncSubscription;
    try {
      const api = await this.deps.load();
      // A watcher rooted at the subtree: parcel walks it and watches every directory in it,
      // reporting under its current path (the inotify watches it shares report to both).
      sub = await api.subscribe(dir, onEvents, this.parcelOptions());
    } catch (e) {
      if (e instanceof Error && /No such file|Not a directory|Bad file descriptor/.test(e.message)) return; // gone already
      throw this.startError(e);
    }
    if (this.state !== 'running') await this.unsubscribe(sub);
    else this.extra.push(sub);
  }

  async refresh(): Promise<void> {
    const onEvents = this.onEvents;
    if (this.state !== 'running' || onEvents === undefined) return;
    // Unsubscribing removes kernel watches other subscriptions share, so all go, then the root
    // is watched anew. Events in between are lost: the caller reconciles right after.
    const old = [...this.extra];
    this.extra.length = 0;
    if (this.subscription !== undefined) old.push(this.subscription);
    this.subscription = undefined;
    for (const sub of old) await this.unsubscribe(sub);
    let fresh: AsyncSubscription;
    try {
      const api = await this.deps.load();
      fresh = await api.subscribe(this.root, onEvents, this.parcelOptions());
    } catch (e) {
      throw this.startError(e);
    }
    if (this.state !== 'running') await this.unsubscribe(fresh);
    else this.subscription = fresh;
  }

  private parcelOptions(): Options {
    // Named on Linux: left to choose, parcel first probes for watchman through a shell and
    // leaves that shell unreaped for the recorder's whole life.
    return process.platform === 'linux' ? { backend: 'inotify' } : {};
  }

  private toHints(events: readonly Event[]): ChangeHint[] {
    const hints: ChangeHint[] = [];
    for (const e of events) hints.push({ path: e.path, kind: hintKind(e.type) });
    return hints;
  }

  private startError(e: unknown): GeorepError {
    const detail = describeError(e);
    if (isWatchLimitError(e)) {
      return new GeorepError(
        'WATCH_LIMIT',
        `cannot watch ${this.root}: the inotify watch limit was reached (${detail}); ${watchLimitAdvice()}`,
        { path: this.root, errno: 'ENOSPC', cause: e },
      );
    }
    return new GeorepError(
      'WATCH_FAILED',
      `cannot watch ${this.root} with @parcel/watcher (${detail}); check that it exists and is a readable directory`,
      { path: this.root, cause: e },
    );
  }

  close(): Promise<void> {
    // Every caller, the second one included, waits until the subscription is released.
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    const was = this.state;
    this.state = 'closed';
    if (was === 'starting') {
      // subscribe() sees 'closed' and unsubscribes; a failed start has nothing to release.
      await this.starting?.catch(() => undefined);
      return;
    }
    const subs = [...this.extra];
    this.extra.length = 0;
    if (this.subscription !== undefined) subs.push(this.subscription);
    this.subscription = undefined;
    for (const sub of subs) await this.unsubscribe(sub);
  }

  private async unsubscribe(sub: AsyncSubscription): Promise<void> {
    try {
      await sub.unsubscribe();
    } catch (e) {
      // parcel-bundler/watcher#129: inotify_rm_watch gives EINVAL for a directory the kernel
      // already unwatched (it was deleted; seen after a subtree was renamed, then removed).
      // Our callback was detached before that call, so nothing more reaches us: closed is closed.
      if (e instanceof Error && e.message.startsWith('Unable to remove watcher')) return;
      throw new GeorepError('WATCH_FAILED', `stopping the watch on ${this.root} failed (${describeError(e)})`, {
        path: this.root,
        cause: e,
      });
    }
  }
}

function hintKind(type: Event['type']): HintKind {
  switch (type) {
    case 'create':
      return 'create';
    case 'delete':
      return 'delete';
    case 'update':
      return 'update';
    default:
      // Not in parcel's types; a future kind is still a hint that something changed.
      return 'update';
  }
}
