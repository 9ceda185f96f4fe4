// Detection axis, History and Changelog: both process the changelogs the recorder published
// (see changelog-turn.ts) and differ only in the status they show. History runs once at worker
// start, for the backlog published while the worker was down (from its stime on; the worker
// checks that the history reaches back that far, else it runs a hybrid crawl first); Changelog
// (live) then runs until stopped, each turn taking what was published since the last.

import type { TurnResult } from '../batch-pipeline.js';
import { changelogTurn } from '../changelog-turn.js';
import type { CrawlStatsSnapshot } from '../crawl-stats.js';
import type { MasterBase } from '../master-base.js';

function changelogCrawl(status: Extract<CrawlStatsSnapshot['crawlStatus'], 'History Crawl' | 'Changelog Crawl'>) {
  return class CrawlChangelogs {
    crawlTurn(this: MasterBase): Promise<TurnResult> {
      this.stats.crawlStatus = status;
      return changelogTurn(this);
    }
  };
}

export const CrawlHistory = changelogCrawl('History Crawl');
export const CrawlChangelog = changelogCrawl('Changelog Crawl');
