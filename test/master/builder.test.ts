// buildMaster: what no turn shows (the hello-time rebind choice, the crawl an unstarted master
// refuses, the config -> choice mapping). What each axis changes in a synced tree is in
// builder-variants.test.ts, which runs every variant against one shared changelog.

import { expect } from 'chai';
import { buildMaster, choiceFromConfig } from '../../src/master/builder.js';
import type { MasterChoice } from '../../src/master/builder.js';

const base: MasterChoice = { detect: 'xsync', mode: 'normal', sendmark: 'normal', purge: 'normal', engine: 'rsync' };
const make = (c: Partial<MasterChoice>) => new (buildMaster({ ...base, ...c }))();

describe('buildMaster', () => {
  it('sync mode: recover takes over a slave bound to another master, normal and partial refuse it', () => {
    // A hello-time choice, before any turn: builder-variants.test.ts sees the other axes in the tree.
    expect(make({ mode: 'recover' }).rebindsForeignSlave()).to.equal(true);
    expect(make({ mode: 'normal' }).rebindsForeignSlave()).to.equal(false);
    expect(make({ mode: 'partial' }).rebindsForeignSlave()).to.equal(false);
  });

  it('detection: the xsync mixin provides the crawl turn; an unstarted master refuses to crawl', async () => {
    const m = make({});
    let code: string | undefined;
    await m.crawlTurn().catch((e: { code?: string }) => (code = e.code));
    expect(code).to.equal('INTERNAL');
  });

  it('detection: history and changelog crawls each provide their own turn', async () => {
    for (const detect of ['history', 'changelog'] as const) {
      const m = make({ detect });
      let code: string | undefined;
      await m.crawlTurn().catch((e: { code?: string }) => (code = e.code));
      expect(code, detect).to.equal('INTERNAL'); // not started (a bug): no deps, no consumer
      expect(m.stats.crawlStatus).to.equal(detect === 'history' ? 'History Crawl' : 'Changelog Crawl');
    }
  });

  it('maps config to a choice as gsyncd does (use-rsync-xattrs → sendmark, ignore-deletes → purge)', () => {
    const c = choiceFromConfig({
      specialSyncMode: 'partial',
      useRsyncXattrs: true,
      ignoreDeletes: true,
      syncMethod: 'tarssh',
    });
    expect(c).to.deep.equal({ detect: 'xsync', mode: 'partial', sendmark: 'rsync', purge: 'noop', engine: 'tarssh' });
  });
});
