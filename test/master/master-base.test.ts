import os from 'node:os';
import { expect } from 'chai';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { silentLogger } from '../../src/log.js';
import { buildMaster } from '../../src/master/builder.js';
import type { MasterDeps } from '../../src/master/master-deps.js';
import type { SlaveCaller } from '../../src/slave/index.js';
import { codeOf } from '../support/error-code.js';
import { ManualClock } from '../support/manual-clock.js';

/** The shipped defaults (conf/georep.conf), with a change interval these tests can see. */
const cfg = resolveConfig([{ source: 'the test', values: { 'change-interval': 2, 'sync-jobs': 1 } }]);

/** A slave that must not be called: these tests drive the loop, not the pipeline. */
const noSlave: SlaveCaller = {
  call: (method) => Promise.reject(new Error(`unexpected slave call ${method}`)),
};

describe('MasterBase', () => {
  let index: SqliteGfidIndex;
  beforeEach(() => {
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => index.close());

  const unstarted = () =>
    new (buildMaster({ detect: 'xsync', mode: 'normal', sendmark: 'normal', purge: 'normal', engine: 'rsync' }))();

  function started(clock: ManualClock, signal?: AbortSignal) {
    const m = unstarted();
    const deps: MasterDeps = {
      rootPath: os.tmpdir(),
      root: Buffer.from(os.tmpdir()),
      index,
      slave: noSlave,
      ownsNames: true,
      log: silentLogger(),
      clock,
      xsyncDir: os.tmpdir(),
      statsFile: '/dev/null',
      stagingDir: '/nonexistent',
      slaveIsRoot: false,
      fullCrawl: false,
      crawl: cfg,
      syncer: cfg,
      onSkip: () => undefined,
      ...(signal === undefined ? {} : { signal }),
    };
    m.start(deps);
    return m;
  }

  it('used before start() is a georep bug: INTERNAL, exit 4 (not ABORTED, 130)', () => {
    const m = unstarted();
    expect(codeOf(() => m.deps)).to.equal('INTERNAL');
    expect(exitCodeFor('INTERNAL')).to.equal(EXIT.internal);
  });

  it('runs exactly `turns` turns, change-interval apart, and counts them', async () => {
    const clock = new ManualClock();
    const m = started(clock);
    const at: number[] = [];
    m.crawlTurn = () => {
      at.push(clock.nowMs());
      return m.newTurn().settle();
    };
    expect(m.lastTurn).to.equal(undefined);
    await m.run(3);
    await m.stop();
    expect(m.turns).to.equal(3);
    expect(m.lastTurn).to.deep.equal({
      problems: new Map(),
      lostBatches: 0,
      allLanded: true,
      failures: 0,
      delivered: new Set(),
    });
    expect(clock.slept).to.deep.equal([2000, 2000]);
    expect(at.map((t) => t - (at[0] ?? 0))).to.deep.equal([0, 2000, 4000]);
  });

  it('stops between turns when aborted (turns 0 = until aborted)', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const m = started(clock, ac.signal);
    m.crawlTurn = () => {
      if (m.turns === 4) ac.abort(new Error('stop'));
      return m.newTurn().settle();
    };
    let stopped: unknown;
    await m.run(0).catch((e: unknown) => (stopped = e));
    await m.stop();
    expect((stopped as Error).message).to.equal('stop');
    expect(m.turns).to.equal(5);
  });
});
