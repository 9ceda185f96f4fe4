// ChangelogConsumer: the per-session consumer API over the recorder's changelogs, after
// GlusterFS's libgfchangelog: register / scan / getchanges / done / history. Invariant: a file
// is removed only through done(), which the worker calls after the slave's stime covers it, so
// disk use stays bounded by what is not yet synced and a crash can only repeat work.

import fs from 'node:fs';
import { fsCall } from './fs-call.js';
import type { SessionMeta, StoreConnection } from '../store/index.js';
import { listChangelogs } from './reader.js';
import type { ChangelogFile } from './reader.js';
import { RECORDER_KEYS } from './recorder/recorder.js';

export interface Scan {
  /** Published changelogs not yet done, oldest first. */
  readonly files: readonly ChangelogFile[];
  /**
   * The recorder's recorded-up-to time (RECORDER_KEYS.recordedUpTo), read before `files`: every
   * change made before it (unix ms) is in `files` or already done.
   */
  readonly recordedUpToMs: number;
}

export class ChangelogConsumer {
  private last: Scan = { files: [], recordedUpToMs: 0 };

  constructor(
    private readonly dir: string,
    private readonly index: Pick<SessionMeta, 'getMeta'> & Pick<StoreConnection, 'assertCurrent'>,
  ) {}

  /** Makes sure the changelog directory exists (the recorder may not have started yet). */
  register(): void {
    fsCall('creating changelog directory', this.dir, () => fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 }));
  }

  /** Unix ms from which the changelogs describe every change; undefined until the recorder built its index. */
  historyStartMs(): number | undefined {
    const v = this.index.getMeta(RECORDER_KEYS.historyStart);
    return v === undefined ? undefined : Number(v);
  }

  /** Lists what is published. The recorded-up-to time is read first: a file published after it is simply early. */
  scan(): Scan {
    // An idle worker makes no transaction: each turn's scan is where it notices a quarantine.
    this.index.assertCurrent();
    const recordedUpToMs = Number(this.index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0');
    this.last = { files: listChangelogs(this.dir, 'CHANGELOG'), recordedUpToMs };
    return this.last;
  }

  /** Published changelogs not yet done and their bytes (status); leaves the last scan as it was. */
  backlog(): { readonly files: number; readonly bytes: number } {
    let bytes = 0;
    const files = listChangelogs(this.dir, 'CHANGELOG');
    for (const f of files) {
      try {
        bytes += fs.statSync(f.path).size;
      } catch {
        // done meanwhile
      }
    }
    return { files: files.length, bytes };
  }

  /** The files of the last scan. */
  getchanges(): readonly ChangelogFile[] {
    return this.last.files;
  }

  /**
   * The changelogs covering (startMs, now]: undefined when the history does not reach back to
   * `startMs` (the caller needs a hybrid crawl for the gap).
   */
  history(startMs: number): Scan | undefined {
    const from = this.historyStartMs();
    if (from === undefined || startMs < from) return undefined;
    return this.scan();
  }

  /** The slave's stime covers `file`: it is removed (purged, so disk use stays bounded). */
  done(file: ChangelogFile): void {
    fs.rmSync(file.path, { force: true });
  }
}
