// Syncer end to end: real rsync/tar, real dirs, the real slave agent in-process (its staging,
// its SQLite index). Boxes and their size, modes, one-in-flight per gfid, per-item outcomes,
// close/abort. Faults go in through the agent's seam (beforeItem) or a decorated real engine.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import type { SyncerConfig } from '../../src/config.js';
import { GeorepError, isGeorepError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { LIMITS } from '../../src/slave/index.js';
import type { DataJob, DataOutcome, QuickCheck } from '../../src/syncer/job.js';
import { RsyncEngine } from '../../src/syncer/rsync-engine.js';
import { MIN_BOX_FILES } from '../../src/syncer/constants.js';
import { shareBytes, Syncer } from '../../src/syncer/syncer.js';
import { TarEngine } from '../../src/syncer/tar-engine.js';
import { AgentSlave } from '../support/agent-slave.js';
import type { ItemHook } from '../support/agent-slave.js';
import { FaultyEngine } from './support/faulty-engine.js';
import type { Faults } from './support/faulty-engine.js';
import { ObservedEngine } from './support/observed-engine.js';
import { gfidOf, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

const BASE: SyncerConfig = {
  syncJobs: 1,
  syncBoxFiles: 100,
  syncMethod: 'rsync',
  rsyncCommand: 'rsync',
  rsyncOptions: '',
  sshCommand: 'ssh',
  useRsyncXattrs: false,
  compress: 'off',
  compressLevel: 1,
};

const codes = (outcomes: readonly DataOutcome[]): string[] =>
  outcomes.map((o) => (o.ok ? (o.vanished ? 'vanished' : 'ok') : o.code));

describe('Syncer', () => {
  let w: World;
  let syncers: Syncer[];
  let slaves: AgentSlave[];
  /** Master path of each gfid a test planned (known/planned); a job's items carry it. */
  let planned: Map<Gfid, string>;
  const g = Array.from({ length: 10 }, (_, i) => gfidOf(i + 1));
  const [g1, g2, g3, g4, g5] = g as [Gfid, Gfid, Gfid, Gfid, Gfid];

  beforeEach(() => {
    w = makeWorld();
    syncers = [];
    slaves = [];
    planned = new Map();
  });
  afterEach(async () => {
    await Promise.all(syncers.map((s) => s.close(AbortSignal.abort())));
    await Promise.all(slaves.map((s) => s.close()));
    w.cleanup();
  });

  const job = (gfids: readonly Gfid[], quickCheck: QuickCheck = 'off', batch = 'CHANGELOG.1'): DataJob => ({
    batch,
    quickCheck,
    items: gfids.map((gfid) => w.item(gfid, planned.get(gfid) ?? `never-planned/${gfid}`)),
  });
  /** A master file for `gfid` at `rel`, planned for the next jobs; returns its absolute path. */
  const plan = (gfid: Gfid, rel: string, content: string): Buffer => {
    planned.set(gfid, rel);
    return w.file(rel, content);
  };

  async function setup(
    opts: { cfg?: Partial<SyncerConfig>; tar?: boolean; beforeItem?: ItemHook; faults?: Faults } = {},
  ) {
    const cfg = { ...BASE, ...opts.cfg };
    const slave = await AgentSlave.start(w.slave);
    slaves.push(slave);
    slave.beforeItem = opts.beforeItem;
    const real = opts.tar === true ? new TarEngine({ useRsyncXattrs: false }) : new RsyncEngine(cfg);
    const engine = new ObservedEngine(opts.faults === undefined ? real : new FaultyEngine(real, opts.faults));
    const syncer = new Syncer(
      { ...cfg, sourceRoot: w.master, stagingDir: slave.staging, checkSettled: false },
      { slave, engine, log: silentLogger() },
    );
    syncers.push(syncer);
    /**
     * A master file the slave already knows (its entry op landed) at `slaveRel` (default: the
     * master path); `slaveContent` is the old copy there.
     */
    const known = async (
      gfid: Gfid,
      rel: string,
      content: string,
      slaveContent?: string,
      slaveRel = rel,
    ): Promise<Buffer> => {
      const src = plan(gfid, rel, content);
      await slave.place(gfid, slaveRel, slaveContent);
      return src;
    };
    const onSlave = (rel: string): string => fs.readFileSync(path.join(w.slave, rel), 'utf8');
    return { slave, engine, syncer, known, onSlave };
  }

  it('syncs a job end to end (stage with basis, rsync, commit), one outcome per item in order', async () => {
    const { slave, syncer, known, onSlave } = await setup();
    await known(g1, 'new.txt', 'brand new');
    await known(g2, 'old.txt', 'updated content', 'stale');
    await known(g3, 'deep/er/f', 'deep');
    const r = await syncer.add(job([g3, g1, g2]));
    expect(r.outcomes.map((o) => o.gfid)).to.deep.equal([g3, g1, g2]);
    expect(codes(r.outcomes)).to.deep.equal(['ok', 'ok', 'ok']);
    expect([onSlave('new.txt'), onSlave('old.txt'), onSlave('deep/er/f')]).to.deep.equal([
      'brand new',
      'updated content',
      'deep',
    ]);
    expect(syncer.filesSynced).to.equal(3);
    expect(syncer.bytesSynced).to.be.greaterThan(0);
    expect(r.bytesSent).to.equal(syncer.bytesSynced);
    expect(slave.calls.map((c) => [c.method, c.basis])).to.deep.equal([
      ['stageData', true],
      ['commitData', undefined],
    ]);
    expect(fs.readdirSync(slave.staging)).to.deep.equal([]); // the box went with the commit
  });

  it('lands data on the slave’s names by gfid, whatever the master path, in a box of its own per run', async () => {
    const { slave, engine, syncer, known, onSlave } = await setup();
    await known(g1, 'master dir/new name', 'moved on the master', 'old', 'slave dir/old name');
    expect(codes((await syncer.add(job([g1]))).outcomes)).to.deep.equal(['ok']);
    expect(codes((await syncer.add(job([g1]))).outcomes)).to.deep.equal(['ok']);
    expect(onSlave('slave dir/old name')).to.equal('moved on the master');
    expect(fs.existsSync(path.join(w.slave, 'master dir'))).to.equal(false);
    const boxes = slave.calls.map((c) => c.box);
    expect(boxes[0]).to.match(/^[A-Za-z0-9_-]{1,64}$/);
    expect([boxes[0] === boxes[1], boxes[1] === boxes[2]]).to.deep.equal([true, false]); // stage + commit share one
    expect(engine.stagingDirs).to.deep.equal([
      path.join(slave.staging, boxes[0] ?? ''),
      path.join(slave.staging, boxes[2] ?? ''),
    ]);
  });

  it('a D job replaces a stale slave file of the same size and mtime', async () => {
    const { syncer, known, onSlave } = await setup();
    const src = await known(g1, 'f', 'AAAA', 'BBBB');
    fs.utimesSync(src, 1_700_000_000, 1_700_000_000);
    fs.utimesSync(path.join(w.slave, 'f'), 1_700_000_000, 1_700_000_000);
    expect(codes((await syncer.add(job([g1], 'off'))).outcomes)).to.deep.equal(['ok']);
    expect(onSlave('f')).to.equal('AAAA');
  });

  it('splits a job into boxes of at most syncBoxFiles', async () => {
    const { engine, syncer, known } = await setup({ cfg: { syncBoxFiles: 2 } });
    for (const [i, gfid] of [g1, g2, g3, g4, g5].entries()) await known(gfid, `f${i}`, `c${i}`);
    const r = await syncer.add(job([g1, g2, g3, g4, g5]));
    expect(codes(r.outcomes)).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(engine.boxes.map((b) => b.paths.length)).to.deep.equal([2, 2, 1]);
  });

  describe('box size: min(syncBoxFiles, LIMITS.gfidsPerCall, max(MIN_BOX_FILES, ceil(queued / idle workers)))', () => {
    /** Runs one job of n known files and returns the box sizes, largest first. */
    async function boxSizes(n: number, cfg: Partial<SyncerConfig>): Promise<number[]> {
      const { slave, engine, syncer } = await setup({ cfg });
      const many = Array.from({ length: n }, (_, i) => gfidOf(100 + i));
      const files = many.map((gfid, i) => ({ gfid, rel: `many/f${i}` }));
      for (const f of files) plan(f.gfid, f.rel, 'x');
      await slave.placeAll(files);
      const r = await syncer.add(job(many));
      expect(r.outcomes.filter((o) => !o.ok)).to.deep.equal([]);
      return engine.boxes.map((b) => b.paths.length).sort((a, b) => b - a);
    }

    it('shares a burst among the idle workers', async () => {
      expect(await boxSizes(2 * MIN_BOX_FILES + 100, { syncJobs: 2, syncBoxFiles: 1000 })).to.deep.equal([
        MIN_BOX_FILES + 50,
        MIN_BOX_FILES + 50,
      ]);
    });

    it('gives no worker fewer than MIN_BOX_FILES while more are queued', async () => {
      expect(await boxSizes(MIN_BOX_FILES + 50, { syncJobs: 3, syncBoxFiles: 1000 })).to.deep.equal([
        MIN_BOX_FILES,
        50,
      ]);
    });

    it('never takes more than syncBoxFiles, even below MIN_BOX_FILES', async () => {
      expect(await boxSizes(5, { syncJobs: 2, syncBoxFiles: 2 })).to.deep.equal([2, 2, 1]);
    });
  });

  it('never mixes quickCheck modes in one box', async () => {
    const { engine, syncer, known } = await setup();
    for (const [i, gfid] of [g1, g2, g3, g4, g5].entries()) await known(gfid, `f${i}`, `c${i}`);
    const results = await Promise.all([
      syncer.add(job([g1, g2], 'off')),
      syncer.add(job([g3, g4], 'ns')),
      syncer.add(job([g5], 'off')),
    ]);
    expect(results.flatMap((r) => codes(r.outcomes))).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(engine.boxes).to.deep.equal([
      { paths: ['f0', 'f1', 'f4'], quickCheck: 'off' },
      { paths: ['f2', 'f3'], quickCheck: 'ns' },
    ]);
  });

  it('never mixes sparse and ordinary files in one box (-S only where it is needed)', async () => {
    const { engine, syncer, known, onSlave } = await setup();
    const sparse = await known(g1, 'holes', '');
    const fd = fs.openSync(sparse, 'r+');
    fs.ftruncateSync(fd, 8 << 20); // 8 MiB of hole
    fs.writeSync(fd, 'tail', (8 << 20) - 4);
    fs.closeSync(fd);
    await known(g2, 'plain', 'ordinary content');
    const [r] = await Promise.all([syncer.add(job([g1, g2]))]);
    expect(codes(r?.outcomes ?? [])).to.deep.equal(['ok', 'ok']);
    expect(engine.boxes.map((b) => b.paths)).to.have.deep.members([['holes'], ['plain']]);
    expect(onSlave('plain')).to.equal('ordinary content');
    expect(fs.statSync(path.join(w.slave, 'holes')).blocks * 512).to.be.below(1 << 20); // still sparse
  });

  it('never puts colliding paths in one box: a file and a path inside it, or one path twice, go in separate boxes', async () => {
    const { engine, syncer, known, onSlave } = await setup({ cfg: { syncJobs: 1 } });
    // Planned at different times: 'q' was a file, then a directory holding 'r'; 'same' is a
    // path another gfid held in an older batch (its data job is still queued).
    await known(g1, 'q', 'old file q', undefined, 'slave-q');
    const qJob = job([g1]);
    fs.rmSync(path.join(w.master, 'q'));
    await known(g2, 'q/r', 'r content', undefined, 'slave-r');
    await known(g3, 'same', 'three', undefined, 'slave-3');
    await known(g4, 'same', 'four', undefined, 'slave-4');
    const results = await Promise.all([syncer.add(qJob), syncer.add(job([g2, g3, g4]))]);
    expect(results.flatMap((r) => codes(r.outcomes))).to.include.members(['ok']);
    for (const box of engine.boxes) {
      expect(new Set(box.paths).size, 'one path twice in a box').to.equal(box.paths.length);
      for (const p of box.paths)
        expect(
          box.paths.some((o) => o.startsWith(p + '/')),
          `${p} and a path inside it`,
        ).to.equal(false);
    }
    expect(onSlave('slave-r')).to.equal('r content');
  });

  it('keeps one transfer in flight per gfid: a second job for the same gfid waits its turn', async () => {
    const { engine, syncer, known, onSlave } = await setup({ cfg: { syncJobs: 2, syncBoxFiles: 1 } });
    await known(g1, 'shared', 'v1');
    await known(g2, 'other', 'o');
    const [a, b, c] = await Promise.all([syncer.add(job([g1])), syncer.add(job([g1])), syncer.add(job([g2]))]);
    expect([a, b, c].flatMap((r) => codes(r.outcomes))).to.deep.equal(['ok', 'ok', 'ok']);
    expect(engine.overlaps).to.deep.equal([]);
    expect(engine.maxConcurrent).to.equal(2); // g1 and g2 ran side by side; g1 twice, in turn
    expect(engine.boxes.filter((x) => x.paths.includes('shared'))).to.have.length(2);
    expect(onSlave('shared')).to.equal('v1');
  });

  it('after a partial exit (23): a vanished source is ok + vanished, a delivered one ok, an undeliverable one RSYNC_FAILED', async () => {
    // A slave user fills 'blocked''s staged name with a non-empty directory: rsync cannot place it (exit 23).
    const { slave, syncer, known, onSlave } = await setup({ faults: { blocked: new Set(['blocked']) } });
    fs.unlinkSync(await known(g1, 'gone', 'x')); // deleted on the master since the job was planned
    await known(g2, 'fine', 'fine', 'old');
    await known(g3, 'blocked', 'blocked', 'old');
    const r = await syncer.add(job([g1, g2, g3]));
    expect(codes(r.outcomes)).to.deep.equal(['vanished', 'ok', 'RSYNC_FAILED']);
    expect([onSlave('fine'), onSlave('blocked')]).to.deep.equal(['fine', 'old']);
    expect(syncer.filesSynced).to.equal(1);
    expect(fs.readdirSync(slave.staging)).to.deep.equal([]);
  });

  it('reports a gfid the slave does not know as GFID_UNKNOWN, or vanished when the master lost it too', async () => {
    const { engine, syncer } = await setup();
    plan(g1, 'unknown-present', 'x');
    fs.unlinkSync(plan(g2, 'unknown-gone', 'y'));
    const r = await syncer.add(job([g1, g2]));
    expect(codes(r.outcomes)).to.deep.equal(['GFID_UNKNOWN', 'vanished']);
    expect(engine.boxes).to.deep.equal([]); // nothing left to send
  });

  it("passes the slave's commit failures through per item", async () => {
    const { slave, syncer, known } = await setup();
    await known(g1, 'ok', 'ok');
    plan(g2, 'x', 'x');
    await slave.place(g2, 'gone-parent/x');
    fs.rmSync(path.join(w.slave, 'gone-parent'), { recursive: true }); // a slave user removed its directory
    expect(codes((await syncer.add(job([g1, g2]))).outcomes)).to.deep.equal(['ok', 'ENOENT']);
  });

  it('fails every item of the box with RSYNC_FAILED on a fatal rsync exit, without rejecting', async () => {
    const { slave, syncer, known } = await setup({ cfg: { rsyncOptions: '--no-such-option' } });
    await known(g1, 'a', 'a');
    await known(g2, 'b', 'b');
    const r = await syncer.add(job([g1, g2]));
    expect(codes(r.outcomes)).to.deep.equal(['RSYNC_FAILED', 'RSYNC_FAILED']);
    expect(syncer.filesSynced).to.equal(0);
    expect(fs.readdirSync(slave.staging)).to.deep.equal([]); // committed empty: the box is removed all the same
  });

  it('rejects the job when a slave call fails, and keeps serving later jobs', async () => {
    let dead = true;
    const { syncer, known } = await setup({
      beforeItem: (m) => {
        if (dead && m === 'commitData') throw new GeorepError('IO_ERROR', 'the slave disk failed');
      },
    });
    await known(g1, 'a', 'a');
    const err = await syncer.add(job([g1])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGeorepError(err) && err.code).to.equal('IO_ERROR');
    dead = false;
    expect(codes((await syncer.add(job([g1]))).outcomes)).to.deep.equal(['ok']);
  });

  it('never puts more than LIMITS.gfidsPerCall items in a box: one stageData and one commitData carry it', async function () {
    this.timeout(60_000);
    const n = LIMITS.gfidsPerCall + 1;
    const { slave, syncer } = await setup({ cfg: { syncBoxFiles: n }, tar: true });
    const many = Array.from({ length: n }, (_, i) => gfidOf(1000 + i));
    for (const gfid of many) plan(gfid, gfid, 'x');
    await slave.placeAll(
      many.map((gfid) => ({ gfid, rel: gfid })),
      { deferred: true },
    );
    const r = await syncer.add(job(many));
    expect(r.outcomes.every((o) => o.ok && !o.vanished)).to.equal(true);
    expect(slave.calls.map((c) => [c.method, c.gfids.length])).to.deep.equal([
      ['stageData', LIMITS.gfidsPerCall],
      ['commitData', LIMITS.gfidsPerCall],
      ['stageData', 1],
      ['commitData', 1],
    ]);
  });

  it('accepts jobs while a worker runs; they go in the next box', async () => {
    let later: Promise<unknown> | undefined;
    const { engine, syncer, known } = await setup({
      beforeItem: (m) => {
        if (m === 'stageData' && later === undefined) later = syncer.add(job([g2, g3]));
      },
    });
    await known(g1, 'a', 'a');
    await known(g2, 'b', 'b');
    await known(g3, 'c', 'c');
    expect(codes((await syncer.add(job([g1]))).outcomes)).to.deep.equal(['ok']);
    await later;
    expect(engine.boxes.map((b) => b.paths)).to.deep.equal([['a'], ['b', 'c']]);
  });

  it('close drains queued jobs, then refuses new ones with ABORTED', async () => {
    const { syncer, known } = await setup();
    await known(g1, 'a', 'a');
    await known(g2, 'b', 'b');
    const pending = [syncer.add(job([g1])), syncer.add(job([g2], 'ns'))];
    await syncer.close();
    expect((await Promise.all(pending)).flatMap((r) => codes(r.outcomes))).to.deep.equal(['ok', 'ok']);
    const err = await syncer.add(job([g1])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGeorepError(err) && err.code).to.equal('ABORTED');
  });

  it('close with an aborted signal ends queued and running items as ABORTED', async () => {
    const ac = new AbortController();
    const { slave, syncer, known } = await setup();
    slave.beforeItem = (m) => {
      if (m === 'stageData') ac.abort();
    };
    await known(g1, 'a', 'a');
    await known(g2, 'b', 'b');
    const pending = [syncer.add(job([g1])), syncer.add(job([g2], 'ns'))];
    await syncer.close(ac.signal);
    expect((await Promise.all(pending)).flatMap((r) => codes(r.outcomes))).to.deep.equal(['ABORTED', 'ABORTED']);
  });

  it('drives the tar engine the same way, without a basis', async () => {
    const { slave, syncer, known, onSlave } = await setup({ tar: true });
    await known(g1, 'a', 'new a', 'old');
    fs.unlinkSync(await known(g2, 'gone', 'x'));
    const r = await syncer.add(job([g1, g2]));
    expect(codes(r.outcomes)).to.deep.equal(['ok', 'vanished']);
    expect(onSlave('a')).to.equal('new a');
    expect(slave.calls[0]?.basis).to.equal(false);
  });

  it('validates its config slice', async () => {
    const slave = await AgentSlave.start(w.slave);
    slaves.push(slave);
    const cfg = { ...BASE, syncJobs: 0, sourceRoot: w.master, stagingDir: slave.staging, checkSettled: false };
    const deps = { slave, engine: new RsyncEngine(BASE), log: silentLogger() };
    expect(() => new Syncer(cfg, deps))
      .to.throw()
      .that.satisfies((e: unknown) => isGeorepError(e) && e.code === 'CONFIG_INVALID');
  });

  it('shares a box’s bytes over its items by planned size, adding up to the total', () => {
    expect(shareBytes(100, [1, 1, 2])).to.deep.equal([25, 25, 50]);
    expect(shareBytes(10, [0, 0, 0])).to.deep.equal([4, 3, 3]);
    expect(shareBytes(0, [])).to.deep.equal([]);
  });
});
