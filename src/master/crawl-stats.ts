// CrawlStats: the counters an operator reads (gsyncd's total_crawl_stats), persisted as JSON
// atomically after every batch so a stopped session's last state stays readable.

import { writeFileReplace } from '../atomic-file.js';
import type { BatchOutcome, ItemProblem } from './batch-runner.js';

/** The counters an operator reads, each a running total or a current backlog; all start at zero. */
export interface CrawlCounts {
  entriesScanned: number;
  filesSynced: number;
  filesPending: number;
  bytesSynced: number;
  bytesPending: number;
  deletesPending: number;
  /** Entry ops planned and not yet applied on the slave. */
  entryPending: number;
  /** Metadata ops planned and not yet applied (they follow the data of their batch). */
  metaPending: number;
  entryOps: number;
  metaOps: number;
  deletes: number;
  /** Entries a seed copy made that were adopted as they were (one-shot into an empty slave). */
  entriesSeeded: number;
  /** Live session: entries that did not land and are synced again each turn (the stime waits for them). */
  retryPending: number;
}

export interface CrawlStatsSnapshot extends Readonly<CrawlCounts> {
  readonly crawlStatus: 'Hybrid Crawl' | 'History Crawl' | 'Changelog Crawl' | 'Idle';
  readonly failures: readonly ItemProblem[];
  /** The stime this worker last set (store/sync-points.ts); the field keeps the stats file's name. */
  readonly lastSyncedMs: number | null;
  readonly updatedMs: number;
}

/** Every CrawlCounts key (the check under it fails to compile when one is missing). */
const COUNT_NAMES = [
  'entriesScanned',
  'filesSynced',
  'filesPending',
  'bytesSynced',
  'bytesPending',
  'deletesPending',
  'entryPending',
  'metaPending',
  'entryOps',
  'metaOps',
  'deletes',
  'entriesSeeded',
  'retryPending',
] as const satisfies readonly (keyof CrawlCounts)[];
const allCounted: Exclude<keyof CrawlCounts, (typeof COUNT_NAMES)[number]> extends never ? true : false = true;
void allCounted;

export class CrawlStats {
  crawlStatus: CrawlStatsSnapshot['crawlStatus'] = 'Idle';
  /** The counters: writers add to them, snapshot copies them. */
  readonly counts = Object.fromEntries(COUNT_NAMES.map((k) => [k, 0])) as unknown as CrawlCounts;
  lastSyncedMs: number | null = null;
  /** Bytes of changelogs a live worker has processed (for the backlog rate and ETA). */
  changelogBytesDone = 0;
  /** Every failure seen, counting repeats (a turn compares it before and after). */
  failureEvents = 0;
  /** The latest failure per path and cause: a live session retries, and a retry is not a new failure. */
  private readonly failed = new Map<string, ItemProblem>();

  get failures(): readonly ItemProblem[] {
    return [...this.failed.values()];
  }

  addFailures(list: readonly ItemProblem[]): void {
    for (const f of list) {
      this.failureEvents++;
      const key = `${f.path}\0${f.code}`;
      this.failed.delete(key); // re-inserted last: the list stays in order of the latest occurrence
      this.failed.set(key, f);
    }
  }

  /** Counts a batch as pending before it is sent. */
  pend(files: number, bytes: number, deletes: number, entries = 0, metas = 0): void {
    const c = this.counts;
    c.filesPending += files;
    c.bytesPending += bytes;
    c.deletesPending += deletes;
    c.entryPending += entries;
    c.metaPending += metas;
  }

  /** A batch's entry ops were applied (its data and metadata go on). */
  entriesApplied(n: number): void {
    const c = this.counts;
    c.entryPending = Math.max(0, c.entryPending - n);
  }

  /** Moves a finished batch from pending to done. */
  settle(planned: { files: number; bytes: number; deletes: number; metas?: number }, out: BatchOutcome): void {
    const c = this.counts;
    c.metaPending = Math.max(0, c.metaPending - (planned.metas ?? 0));
    c.filesPending = Math.max(0, c.filesPending - planned.files);
    c.bytesPending = Math.max(0, c.bytesPending - planned.bytes);
    c.deletesPending = Math.max(0, c.deletesPending - planned.deletes);
    c.filesSynced += out.dataFiles;
    c.bytesSynced += out.bytesSent;
    c.entryOps += out.entryOps;
    c.metaOps += out.metaOps;
    c.deletes += out.deletes;
    this.addFailures(out.failures);
  }

  snapshot(nowMs: number): CrawlStatsSnapshot {
    return {
      ...this.counts,
      crawlStatus: this.crawlStatus,
      failures: this.failures,
      lastSyncedMs: this.lastSyncedMs,
      updatedMs: nowMs,
    };
  }

  save(file: string, nowMs: number): void {
    writeFileReplace(file, JSON.stringify(this.snapshot(nowMs), null, 2) + '\n');
  }
}
