// Detection axis, History: at worker start, the backlog of changelogs published while the
// worker was down (from its stime on), processed once before the live Changelog crawl takes
// over. Only valid when the history reaches back to the stime (the worker checks, else it runs
// a hybrid crawl first).

import { changelogTurn } from '../changelog-turn.js';
import type { MasterBase } from '../master-base.js';

export class CrawlHistory {
  async crawlTurn(this: MasterBase): Promise<void> {
    this.stats.crawlStatus = 'History Crawl';
    await changelogTurn(this);
  }
}
