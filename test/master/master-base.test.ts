import os from 'node:os';
import { expect } from 'chai';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { silentLogger } from '../../src/log.js';
import { buildMaster } from '../../src/master/builder.js';
import type { MasterDeps } from '../../src/master/master-base.js';
import type { Plan } from '../../src/master/plan.js';
import type { Seen } from '../../src/master/process-change.js';
import type { Gfid } from '../../src/changelog/index.js';
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
      return Promise.resolve();
    };
    await m.run(3);
    await m.stop();
    expect(m.turns).to.equal(3);
    expect(clock.slept).to.deep.equal([2000, 2000]);
    expect(at.map((t) => t - (at[0] ?? 0))).to.deep.equal([0, 2000, 4000]);
  });

  it('stops between turns when aborted (turns 0 = until aborted)', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const m = started(clock, ac.signal);
    m.crawlTurn = () => {
      if (m.turns === 4) ac.abort(new Error('stop'));
      return Promise.resolve();
    };
    let stopped: unknown;
    await m.run(0).catch((e: unknown) => (stopped = e));
    await m.stop();
    expect((stopped as Error).message).to.equal('stop');
    expect(m.turns).to.equal(5);
  });

  it("classifies one batch ahead of the one sending; later ones wait as files, without the crawl's lstat", async () => {
    // A seed copy holds every batch of a crawl; classified up front they held the whole tree
    // in memory (plans and the crawl's BigIntStats: ~140 MiB at 50k files).
    const m = started(new ManualClock());
    const classified: { file: string; withSeen: boolean }[] = [];
    const sends: { file: string; done: () => void }[] = [];
    const hooks = m as unknown as {
      classify: (files: readonly { path: string }[], source: string, seen: Map<Gfid, Seen> | undefined) => Plan;
      sendBatch: (plan: Plan, file: string) => Promise<void>;
    };
    hooks.classify = (files, _source, seen) => {
      classified.push({ file: files[0]?.path ?? '', withSeen: seen !== undefined });
      return { batch: files[0]?.path ?? '' } as Plan;
    };
    hooks.sendBatch = (_plan, file) => new Promise<void>((done) => sends.push({ file, done }));
    const seen = (): Map<Gfid, Seen> => new Map();
    const runs = ['b1', 'b2', 'b3', 'b4'].map((f) => m.processChangelog(f, 'crawl', seen()));
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(classified).to.deep.equal([
      { file: 'b1', withSeen: true },
      { file: 'b2', withSeen: true },
    ]);
    expect(sends.map((s) => s.file)).to.deep.equal(['b1']);
    sends[0]?.done();
    await settle();
    expect(classified.map((c) => c.file)).to.deep.equal(['b1', 'b2', 'b3']);
    expect(classified[2]?.withSeen).to.equal(false); // waited: classified from the index and a fresh lstat
    expect(sends.map((s) => s.file)).to.deep.equal(['b1', 'b2']);
    sends[1]?.done();
    await settle();
    sends[2]?.done();
    await settle();
    sends[3]?.done();
    await Promise.all(runs);
    expect(classified.map((c) => c.file)).to.deep.equal(['b1', 'b2', 'b3', 'b4']);
    expect(sends.map((s) => s.file)).to.deep.equal(['b1', 'b2', 'b3', 'b4']);
    await m.stop();
  });
});
