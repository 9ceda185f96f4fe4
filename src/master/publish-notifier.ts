// PublishNotifier: wakes the live worker when the recorder publishes a changelog, so a change
// waits for one rollover and not also for the worker's next turn. One inotify watch on the
// changelog directory.

import fs from 'node:fs';
import path from 'node:path';
import { parseChangelogName } from '../changelog/changelog-name.js';

export class PublishNotifier {
  private readonly watcher: fs.FSWatcher;
  private waiters: (() => void)[] = [];
  /**
   * A publication seen while nobody waited. Level, not edge: a changelog published while a turn
   * runs (after that turn listed the directory) must wake the next pause at once. Edge-triggered,
   * it was missed, and the changelog waited a whole change-interval: the last changelog of a
   * restart's reconcile took 1.2 s to sync one file.
   */
  private published = false;

  constructor(private readonly dir: string) {
    this.watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
      if (this.isPublication(name)) this.fire();
    });
    this.watcher.on('error', () => this.fire()); // the directory went away: the next turn will say so
  }

  /**
   * Resolves at the next publication, or at once when one came since the last call resolved
   * (at worst one turn that finds nothing new).
   */
  next(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      if (this.published) {
        this.published = false;
        resolve();
        return;
      }
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(done);
    });
  }

  close(): void {
    this.watcher.close();
    this.fire();
  }

  /**
   * A changelog that is there now. The worker's own removal of the changelogs it processed
   * also reports their names: those would only make empty turns.
   */
  private isPublication(name: string | Buffer | null): boolean {
    if (name === null) return true; // the kernel did not say which: assume the best case for latency
    const text = name.toString();
    return parseChangelogName(text) !== undefined && fs.existsSync(path.join(this.dir, text));
  }

  private fire(): void {
    const ws = this.waiters;
    this.waiters = [];
    if (ws.length === 0) this.published = true;
    for (const w of ws) w();
  }
}
