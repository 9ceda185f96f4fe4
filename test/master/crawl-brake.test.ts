// The mass-delete brake in a live hybrid crawl: a full crawl's purge of entries the slave has
// and the master never had is counted first; over the limits (here: a slave full of entries
// the master lacks) the purge is held and the brake engages, and `georep release` runs it.

import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogConsumer } from '../../src/changelog/consumer.js';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { RECORDER_KEYS } from '../../src/changelog/recorder/recorder.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { buildMaster } from '../../src/master/builder.js';
import type { DetectMode } from '../../src/master/builder.js';
import { BRAKE_KEYS, DeleteBrake, requestRelease } from '../../src/master/delete-brake.js';
import type { MasterDeps } from '../../src/master/master-deps.js';
import { cleanupTemps, makeTemp, readyAgent } from '../slave/harness.js';
import type { ReadyAgent } from '../slave/harness.js';
import { eventLogger } from '../support/event-log.js';
import { ManualClock } from '../support/manual-clock.js';

const cfg = resolveConfig([{ source: 'the test', values: { 'sync-jobs': 1 } }]);

describe('hybrid crawl with the mass-delete brake', function () {
  this.timeout(30_000);
  let tmp: string;
  let master: string;
  let index: SqliteGfidIndex;
  let agent: ReadyAgent;

  beforeEach(async () => {
    tmp = makeTemp();
    master = path.join(tmp, 'master');
    fs.mkdirSync(path.join(master, 'kept'), { recursive: true });
    index = SqliteGfidIndex.open(':memory:');
    // The recorder has indexed the master: one directory.
    const ino = fs.statSync(path.join(master, 'kept'), { bigint: true }).ino;
    index.create('dir', ino, { pargfid: ROOT_GFID, name: Buffer.from('kept') });
    index.setMeta(RECORDER_KEYS.historyStart, '0');
    index.setMeta(RECORDER_KEYS.recordedUpTo, '1000');
    agent = await readyAgent(path.join(tmp, 'slave'));
    // The slave already holds a tree the master never had (the master's disk was not mounted).
    fs.mkdirSync(path.join(agent.root, 'old'));
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(agent.root, 'old', `f${i}`), 'x');
  });
  afterEach(async () => {
    await agent.client.close();
    await agent.done;
    index.close();
    cleanupTemps();
  });

  async function run(detect: DetectMode): Promise<void> {
    const m = new (buildMaster({ detect, mode: 'normal', sendmark: 'normal', purge: 'normal', engine: 'rsync' }))();
    const clock = new ManualClock(5_000);
    const { log } = eventLogger();
    const deps: MasterDeps = {
      rootPath: master,
      root: Buffer.from(master),
      index,
      slave: agent.client,
      ownsNames: false,
      log,
      clock,
      xsyncDir: tmp,
      statsFile: path.join(tmp, 'status.json'),
      stagingDir: '/nonexistent',
      slaveIsRoot: false,
      fullCrawl: true,
      consumer: new ChangelogConsumer(path.join(tmp, 'changelogs'), index),
      brake: new DeleteBrake(cfg, { rootPath: master, index, held: index.heldDeletes(), log, clock }),
      crawl: cfg,
      syncer: cfg,
      onSkip: () => undefined,
    };
    m.start(deps);
    await m.run(1);
    await m.stop();
  }

  it('holds the purge of what the master never had, and runs it on release', async () => {
    await run('xsync');
    expect(fs.existsSync(path.join(agent.root, 'kept'))).to.equal(true); // the crawl itself went on
    expect(fs.readdirSync(path.join(agent.root, 'old'))).to.have.lengthOf(200);
    expect(index.getMeta(BRAKE_KEYS.cause)).to.match(/201 deletes would remove 99\.5% of the 202 entries/);
    expect(index.getMeta(BRAKE_KEYS.purge)).to.equal('1');
    requestRelease(index, index.heldDeletes());
    await run('changelog');
    expect(fs.existsSync(path.join(agent.root, 'old'))).to.equal(false);
    expect(fs.readdirSync(agent.root).sort()).to.deep.equal(['.georep', 'kept']);
    expect(index.getMeta(BRAKE_KEYS.cause)).to.equal(undefined);
  });
});
