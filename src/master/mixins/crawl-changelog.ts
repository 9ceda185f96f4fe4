// Detection axis, Changelog (live): each turn processes the changelogs the recorder published
// since the last one (see changelog-turn.ts); the master runs it until stopped.

import { changelogTurn } from '../changelog-turn.js';
import type { MasterBase } from '../master-base.js';

export class CrawlChangelog {
  async crawlTurn(this: MasterBase): Promise<void> {
    this.stats.crawlStatus = 'Changelog Crawl';
    await changelogTurn(this);
  }
}
