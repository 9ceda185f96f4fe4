// CrawlStats: the counters an operator reads (gsyncd's total_crawl_stats), persisted as JSON
// atomically after every batch so a stopped session's last state stays readable.

import { writeFileAtomic } from '../atomic-file.js';
import type { BatchOutcome, ItemProblem } from './batch-runner.js';

export interface CrawlStatsSnapshot {
  readonly crawlStatus: 'Hybrid Crawl' | 'History Crawl' | 'Changelog Crawl' | 'Idle';
  readonly entriesScanned: number;
  readonly filesSynced: number;
  readonly filesPending: number;
  readonly bytesSynced: number;
  readonly bytesPending: number;
  readonly deletesPending: number;
  /** Entry ops planned and not yet applied on the slave. */
  readonly entryPending: number;
  /** Metadata ops planned and not yet applied (they follow the data of their batch). */
  readonly metaPending: number;
  readonly entryOps: number;
  readonly metaOps: number;
  readonly deletes: number;
  /** Entries a seed copy made that were adopted as they were (one-shot into an empty slave). */
  readonly entriesSeeded: number;
  readonly failures: readonly ItemProblem[];
  /** The stime this worker last set (store/sync-points.ts); the field keeps the stats file's name. */
  readonly lastSyncedMs: number | null;
  /** Live session: entries that did not land and are synced again each turn (the stime waits for them). */
  readonly retryPending: number;
  readonly updatedMs: number;
}

export class CrawlStats {
  crawlStatus: CrawlStatsSnapshot['crawlStatus'] = 'Idle';
  entriesScanned = 0;
  filesSynced = 0;
  filesPending = 0;
  bytesSynced = 0;
  bytesPending = 0;
  deletesPending = 0;
  entryPending = 0;
  metaPending = 0;
  entryOps = 0;
  metaOps = 0;
  deletes = 0;
  entriesSeeded = 0;
  lastSyncedMs: number | null = null;
  retryPending = 0;
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
    this.filesPending += files;
    this.bytesPending += bytes;
    this.deletesPending += deletes;
    this.entryPending += entries;
    this.metaPending += metas;
  }

  /** A batch's entry ops were applied (its data and metadata go on). */
  entriesApplied(n: number): void {
    this.entryPending = Math.max(0, this.entryPending - n);
  }

  /** Moves a finished batch from pending to done. */
  settle(planned: { files: number; bytes: number; deletes: number; metas?: number }, out: BatchOutcome): void {
    this.metaPending = Math.max(0, this.metaPending - (planned.metas ?? 0));
    this.filesPending = Math.max(0, this.filesPending - planned.files);
    this.bytesPending = Math.max(0, this.bytesPending - planned.bytes);
    this.deletesPending = Math.max(0, this.deletesPending - planned.deletes);
    this.filesSynced += out.dataFiles;
    this.bytesSynced += out.bytesSent;
    this.entryOps += out.entryOps;
    this.metaOps += out.metaOps;
    this.deletes += out.deletes;
    this.addFailures(out.failures);
  }

  snapshot(nowMs: number): CrawlStatsSnapshot {
    return {
      crawlStatus: this.crawlStatus,
      entriesScanned: this.entriesScanned,
      filesSynced: this.filesSynced,
      filesPending: this.filesPending,
      bytesSynced: this.bytesSynced,
      bytesPending: this.bytesPending,
      deletesPending: this.deletesPending,
      entryPending: this.entryPending,
      metaPending: this.metaPending,
      entryOps: this.entryOps,
      metaOps: this.metaOps,
      deletes: this.deletes,
      entriesSeeded: this.entriesSeeded,
      failures: this.failures,
      lastSyncedMs: this.lastSyncedMs,
      retryPending: this.retryPending,
      updatedMs: nowMs,
    };
  }

  save(file: string, nowMs: number): void {
    writeFileAtomic(file, JSON.stringify(this.snapshot(nowMs), null, 2) + '\n');
  }
}
