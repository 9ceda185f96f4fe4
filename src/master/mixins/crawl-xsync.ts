// Detection axis, Xsync (hybrid crawl): walk the master, write XSYNC-CHANGELOG files in
// batches and feed each to the turn's pipeline, the same process_change the live changelogs
// use. The first sync into an empty slave plugs a seed copy into that pipeline (seeding.ts).

import { displayPath } from '../../changelog/index.js';
import type { Change, Gfid } from '../../changelog/index.js';
import type { BatchPipeline, TurnResult } from '../batch-pipeline.js';
import { PROBLEM } from '../../problem-codes.js';
import { queueSubtree } from '../subtree-resync.js';
import { deferDeletes, gateCrawlDeletes, liveCrawlHold, sendDeferred } from '../crawl-brake.js';
import { XsyncCrawler } from '../crawler.js';
import type { MasterBase } from '../master-base.js';
import { XsyncSink } from '../xsync-sink.js';

export class CrawlXsync {
  async crawlTurn(this: MasterBase): Promise<TurnResult> {
    const deps = this.deps;
    this.stats.crawlStatus = 'Hybrid Crawl';
    // A crawl that skips by directories listed ahead covers the master as of that listing.
    const prefetch = deps.fullCrawl ? undefined : deps.prefetch;
    const turnStartMs = Math.min(deps.clock.nowMs(), prefetch?.startedMs ?? Infinity);
    // The agent refuses a seed copy unless the slave root is empty; any other crawl sends every
    // entry by gfid.
    const seed = deps.fullCrawl ? deps.seed : undefined;
    const turn = this.newTurn(seed);
    const sink = new XsyncSink(
      deps.xsyncDir,
      deps.clock,
      // The sink flushes only while the crawler (declared below) is running; the file holds
      // exactly the records since the last flush, so the crawl's view of them goes with it.
      (file): Promise<void> => turn.processFile(file, 'crawl', crawler.takeSeen()),
      () => seed?.running ?? false,
    );
    const policy = {
      classify: this.classifyEntry.bind(this),
      propagateDeletes: this.propagatesDeletes(),
      devicesAllowed: deps.slaveIsRoot,
      ownsNames: deps.ownsNames,
      useDigests: this.trustsConfirmations() && !deps.fullCrawl,
      storeDigests: this.trustsConfirmations(),
    };
    // The mass-delete brake counts the crawl's deletes and its purge together, at the end.
    const brake = this.propagatesDeletes() ? deps.brake : undefined;
    const deferred: Change[] = [];
    const crawler = new XsyncCrawler(
      { root: deps.root, batchEntries: deps.crawl.xsyncChangelogEntries, crawlRate: deps.crawl.crawlRate, policy },
      {
        index: deps.index,
        clock: deps.clock,
        sink: brake === undefined ? sink : deferDeletes(sink, deferred),
        onSkip: deps.onSkip,
        onScan: (n) => {
          this.stats.counts.entriesScanned = n;
        },
        ...(prefetch === undefined ? {} : { prefetch }),
      },
    );
    turn.holdDeletes(brake !== undefined && deps.consumer !== undefined ? liveCrawlHold(brake) : undefined);
    await seed?.start();
    await crawler.crawl(deps.signal);
    answerGoneDirs(this, turn, crawler.goneDirs);
    // What this user cannot read is not on the slave: a failure (exit 1; in the ledger, live).
    const unreadable = crawler.unreadableDirs.map((d) => ({
      gfid: d.gfid,
      path: displayPath(d.rel),
      code: d.errno,
      message: `the directory cannot be listed by the user georep runs as (${d.errno}), so what it holds was not synced; give that user read and search permission on it (or run georep as root), then sync again`,
    }));
    this.stats.addFailures(unreadable.map(({ path, code, message }) => ({ path, code, message })));
    for (const u of unreadable) turn.retryLater(u);
    // A one-shot sync says so: its new entry lands at the next run, after the RMDIR.
    this.stats.addFailures(
      crawler.replacedDirs.map((rel) => ({
        path: displayPath(rel),
        code: PROBLEM.REPLACE_PENDING,
        message:
          'a directory stood here and is removed from the slave first (a delete, under the mass-delete brake); the new entry follows: run the sync again',
      })),
    );
    deps.log.debug('crawl walked the master', {
      entries: crawler.entriesScanned,
      dirsUnchanged: crawler.dirsUnchanged,
      durationMs: deps.clock.nowMs() - turnStartMs,
    });
    await sink.drain();
    // A seed copy made everything in the slave that its index does not know, whatever the
    // purge axis: what no batch adopted or replaced is the copy's, never the operator's.
    const seeded = (await seed?.settled()) ?? false;
    // After every batch is settled: the purge keeps only what the slave index knows.
    let purge = deps.fullCrawl && ((this.purgesUnknown() && this.propagatesDeletes()) || seeded);
    if (brake !== undefined) {
      const gate = await gateCrawlDeletes(this, brake, deferred, purge ? crawler.dirs : undefined, seeded);
      if (gate.sendDeletes) await sendDeferred(deps, turn, deferred);
      purge = gate.purge;
    }
    const settled = purge ? () => turn.purgeUnknown(crawler.dirs) : undefined;
    // A live session files what did not land in its failure ledger and goes on; a one-shot
    // sync reports it and exits non-zero.
    const result =
      deps.consumer === undefined
        ? await this.finishTurn(turn, turnStartMs, settled)
        : await this.finishLedgerTurn(turn, turnStartMs, settled);
    // Every batch is settled: a directory whose children are all confirmed as the crawl listed
    // them gets its digest now, so the next crawl may skip it.
    const stored = deps.index.commitStagedDigests();
    deps.log.debug('directory digests stored for the next crawl', { dirs: stored });
    return result;
  }
}

/**
 * Directories moved or removed while the crawl went (XsyncCrawler.goneDirs). A live session
 * queues each with what the index holds below it (queueSubtree): the recorder keeps the
 * index's names, so they are synced from wherever they are now, and a checkpoint waits for
 * them. A one-shot sync has nobody to say where one went: it says so, and exits non-zero.
 */
function answerGoneDirs(
  m: MasterBase,
  turn: BatchPipeline,
  gone: readonly { readonly gfid: Gfid; readonly rel: Buffer }[],
): void {
  const { deps } = m;
  for (const dir of gone) {
    if (deps.consumer !== undefined) {
      const n = queueSubtree(deps.index, dir.gfid, {
        message: 'its directory moved while the crawl listed the tree; synced from where it is now',
        // A full crawl reads changes of any age (finishLedgerTurn): every checkpoint waits.
        changeMs: 0,
        nowMs: deps.clock.nowMs(),
        // Filed again with change time 0: an item of a later time would not hold a checkpoint set before.
        held: 'requeue',
      });
      deps.log.info('a directory moved or went while the crawl listed the tree: what it held is synced again', {
        path: displayPath(dir.rel),
        entries: n,
      });
    } else {
      // A failure of the run (exit 1), as rsync's exit 24 for what vanished while it ran: a
      // removed directory costs a rerun, a moved one would otherwise be missed without a word.
      const problem = {
        path: displayPath(dir.rel),
        code: PROBLEM.VANISHED,
        message:
          'the directory was moved or removed while the crawl listed the tree, and what it holds was not synced; run the sync again',
      };
      m.stats.addFailures([problem]);
      turn.retryLater({ ...problem, gfid: dir.gfid });
    }
  }
}
