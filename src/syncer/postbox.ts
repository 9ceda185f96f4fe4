// PostBox: the staged queue between producers (jobs) and consumers (sync workers), after
// gsyncd's PostBox/Syncer. Items accumulate; a worker takes all of them at once (up to a max
// count, the rest stay for the next worker); each poster is woken with its item's result.

import { GeorepError } from '../errors.js';

/**
 * Decides, item by item in arrival order, what one take includes. A fresh selector is made
 * for every attempt, so it may keep state (the mode of the box so far, gfids already in it).
 */
export type Selector<T> = (item: T) => boolean;

/** One taken box: its items, and the way to wake everyone waiting on them. */
export interface Delivery<T, R> {
  readonly items: readonly T[];
  /**
   * Results aligned with `items`: each poster's promise resolves with its item's result.
   * A box settles once: after deliver or fail, further calls are ignored.
   */
  deliver(results: readonly R[]): void;
  /** Rejects every poster of this box (for errors that are not per-item results). */
  fail(error: unknown): void;
}

interface Letter<T, R> {
  readonly item: T;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Why not gsyncd's scheme: its PostBox was a list with a condition variable, a worker swapped
 * in a fresh box under a lock and producers retried when they raced the swap (BoxClosedErr);
 * idle workers slept 0.5 s so that items could accumulate. Here the event loop is the lock:
 * a take is synchronous, so there is no swap race, and a waiting worker resumes on a promise
 * that `post`, `nudge` and `close` resolve, so nothing polls. Items posted together (postAll)
 * land before any worker resumes, so one job's items fill one box instead of dribbling out.
 */
export class PostBox<T, R> {
  #queue: Letter<T, R>[] = [];
  #closed = false;
  #wakers: (() => void)[] = [];

  /** Items waiting to be taken. */
  get size(): number {
    return this.#queue.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Posts one item; the promise settles once a worker has run the box holding it. */
  post(item: T): Promise<R> {
    this.#assertOpen();
    const p = this.#enqueue(item);
    this.#wake();
    return p;
  }

  /** Posts items together (one wake-up for all); one promise per item, in order. */
  postAll(items: readonly T[]): Promise<R>[] {
    this.#assertOpen();
    const promises = items.map((item) => this.#enqueue(item));
    if (items.length > 0) this.#wake();
    return promises;
  }

  /**
   * Takes up to `max` items the selector accepts, in arrival order; the rest stay queued.
   * Returns undefined when nothing could be taken now.
   */
  tryTake(max: number, select?: Selector<T>): Delivery<T, R> | undefined {
    if (this.#queue.length === 0 || max < 1) return undefined;
    const taken: Letter<T, R>[] = [];
    const left: Letter<T, R>[] = [];
    for (const letter of this.#queue) {
      if (taken.length < max && (select === undefined || select(letter.item))) taken.push(letter);
      else left.push(letter);
    }
    if (taken.length === 0) return undefined;
    this.#queue = left;
    return deliveryOf(taken);
  }

  /**
   * Waits until a box can be taken and takes it. Resolves undefined once the box is closed
   * and empty (the queue is drained), or when `signal` aborts. The box reaches the caller a
   * few microtasks after it left the queue: a consumer whose selector reads state it updates
   * on taking (the Syncer's gfids in flight) loops on tryTake + whenChanged instead.
   */
  async take(max: number, select?: () => Selector<T>, signal?: AbortSignal): Promise<Delivery<T, R> | undefined> {
    for (;;) {
      if (signal?.aborted === true) return undefined;
      const d = this.tryTake(max, select?.());
      if (d !== undefined) return d;
      if (this.drained) return undefined;
      await this.whenChanged(signal);
    }
  }

  /**
   * Something a selector depends on changed (a gfid left flight): waiting takers try again.
   */
  nudge(): void {
    this.#wake();
  }

  /** Resolves on the next post, nudge or close (or when `signal` aborts): time to try again. */
  whenChanged(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#wakers.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** True once closed and every item has been taken: consumers may stop. */
  get drained(): boolean {
    return this.#closed && this.#queue.length === 0;
  }

  /** No more posts. Queued items are still taken; takers get undefined once it is empty. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #assertOpen(): void {
    if (this.#closed) throw new GeorepError('ABORTED', 'the post box is closed: the syncer is shutting down');
  }

  #enqueue(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
    });
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const w of wakers) w();
  }
}

function deliveryOf<T, R>(letters: readonly Letter<T, R>[]): Delivery<T, R> {
  let settled = false;
  const once = (): boolean => {
    if (settled) return false;
    settled = true;
    return true;
  };
  return {
    items: letters.map((l) => l.item),
    deliver(results) {
      if (results.length !== letters.length) {
        throw new GeorepError('BAD_REQUEST', `box of ${letters.length} items got ${results.length} results`);
      }
      if (!once()) return;
      results.forEach((r, i) => letters[i]?.resolve(r));
    },
    fail(error) {
      if (!once()) return;
      for (const l of letters) l.reject(error);
    },
  };
}
