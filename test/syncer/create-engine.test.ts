// createEngine: the sync-method option picks the engine. Today no caller in src/ uses it (the
// master's engine mixins build theirs), so this is its only check: each method gets its engine.

import { expect } from 'chai';
import { SYNC_METHODS } from '../../src/config.js';
import type { SyncerConfig } from '../../src/config.js';
import { createEngine } from '../../src/syncer/create-engine.js';
import { RsyncEngine } from '../../src/syncer/rsync-engine.js';
import { TarEngine } from '../../src/syncer/tar-engine.js';

const CFG: SyncerConfig = {
  syncJobs: 1,
  syncBoxFiles: 100,
  syncMethod: 'rsync',
  rsyncCommand: 'rsync',
  rsyncOptions: '',
  sshCommand: 'ssh',
  useRsyncXattrs: false,
  compress: 'off',
};

describe('syncer/createEngine', () => {
  it('builds the engine each sync method names', () => {
    for (const syncMethod of SYNC_METHODS) expect(createEngine({ ...CFG, syncMethod }).name).to.equal(syncMethod);
    expect(createEngine({ ...CFG, syncMethod: 'rsync' })).to.be.instanceOf(RsyncEngine);
    expect(createEngine({ ...CFG, syncMethod: 'tarssh', slaveIsRoot: false })).to.be.instanceOf(TarEngine);
  });

  it('gives rsync a basis to delta against and tar none', () => {
    expect(createEngine({ ...CFG, syncMethod: 'rsync' }).usesBasis).to.equal(true);
    expect(createEngine({ ...CFG, syncMethod: 'tarssh' }).usesBasis).to.equal(false);
  });
});
