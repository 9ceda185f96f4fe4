// DataJob: a request to bring the content of some gfids to the slave. Data is addressed by
// gfid, never by a path that may be stale (DESIGN invariant).

import type { Gfid } from '../changelog/index.js';

/**
 * How rsync decides whether a file needs sending.
 * - 'off': every file is sent (--ignore-times). Used for jobs from changelog D records: a D
 *   record is proof the content changed, even when size and mtime look unchanged.
 * - 'ns': rsync's quick check with nanosecond mtimes (--modify-window=-1). Used for crawl jobs.
 */
export type QuickCheck = 'off' | 'ns';

export interface DataItem {
  readonly gfid: Gfid;
  /**
   * Master-relative path of the gfid when the job was planned: what rsync reads, and where it
   * writes inside the slave's staging box. The slave commits by gfid, onto the names its own
   * index holds. What the engine read at a path that went stale (another file moved there) is
   * caught by comparing the committed file with `mtimeNs` and `size`.
   */
  readonly path: Buffer;
  /** mtime of the master file when planned: with `size`, what the committed file must show. */
  readonly mtimeNs: bigint;
  /** Inode of the master file when planned: a file found at `path` later is this one only if it matches. */
  readonly ino: bigint;
  /**
   * ctime of the master file when planned. A write while the engine read the file moves it even
   * when the writer puts size and mtime back; where no recorder watches the master (a one-shot),
   * it is the only witness of a torn copy (BoxRequest.checkSettled).
   */
  readonly ctimeNs: bigint;
  /**
   * The master file has fewer blocks than its size needs (holes). Only such files go through
   * rsync's -S, which scans every block for zeros: about 0.6 s of CPU per GiB of ordinary files.
   */
  readonly sparse: boolean;
  /** Size in bytes when the job was planned: for progress and "bytes pending" only. */
  readonly size: number;
}

export interface DataJob {
  /** Batch id (the changelog being processed), for logs. */
  readonly batch: string;
  readonly items: readonly DataItem[];
  readonly quickCheck: QuickCheck;
}

/** What the Syncer reports for one gfid once its box is done. */
export type DataOutcome =
  | { readonly gfid: Gfid; readonly ok: true; readonly vanished: boolean }
  | { readonly gfid: Gfid; readonly ok: false; readonly code: string; readonly message: string };

export interface DataJobResult {
  readonly outcomes: readonly DataOutcome[];
  readonly bytesSent: number;
}
