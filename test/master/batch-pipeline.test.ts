// BatchPipeline: one turn's batches against a real slave agent in-process (test/slave/harness.ts)
// and real rsync. A small changelog lands whole and the slave mirrors the master; what did not
// land comes back in the TurnResult (a failed item as a problem, a batch cut short by the
// agent's death as lost); a plugged-in seed step's adoption replaces sending; batches are
// classified one ahead of the one sending.

import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogWriter, ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Change, EntryName, Gfid } from '../../src/changelog/index.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { silentLogger } from '../../src/log.js';
import { BatchPipeline } from '../../src/master/batch-pipeline.js';
import type { BatchFile, TurnResult } from '../../src/master/batch-pipeline.js';
import { BatchRunner } from '../../src/master/batch-runner.js';
import { CrawlStats } from '../../src/master/crawl-stats.js';
import type { Plan } from '../../src/master/plan.js';
import type { Seen } from '../../src/master/process-change.js';
import { SeedRun, changedSince } from '../../src/master/seeding.js';
import type { SeedStep } from '../../src/master/seeding.js';
import type { MethodName } from '../../src/slave/index.js';
import { RsyncEngine, Syncer } from '../../src/syncer/index.js';
import { cleanupTemps, helloParams, makeTemp, startAgent } from '../slave/harness.js';
import type { InProcessAgent } from '../slave/harness.js';
import { codeOfAsync } from '../support/error-code.js';
import { ManualClock } from '../support/manual-clock.js';
import { assertTreesEqual } from '../support/tree-compare.js';

const cfg = resolveConfig([{ source: 'the test', values: { 'sync-jobs': 1 } }]);

describe('BatchPipeline', function () {
  this.timeout(30_000);
  let tmp: string;
  let master: string;
  let slaveRoot: string;
  let index: SqliteGfidIndex;
  let agent: InProcessAgent;
  let stagingDir: string;
  let syncers: Syncer[];
  let seq: number;
  /** Called by the agent before each item of a batch request (the test's fault seam). */
  let beforeItem: (method: MethodName, i: number) => void;

  beforeEach(async () => {
    tmp = makeTemp();
    master = path.join(tmp, 'master');
    slaveRoot = path.join(tmp, 'slave');
    fs.mkdirSync(master);
    index = SqliteGfidIndex.open(':memory:');
    syncers = [];
    seq = 100;
    beforeItem = () => undefined;
    agent = startAgent(slaveRoot, { hooks: { beforeItem: (method, i) => beforeItem(method, i) } });
    ({ stagingDir } = await agent.client.call('hello', helloParams()));
  });
  afterEach(async () => {
    await Promise.all(syncers.map((s) => s.close(AbortSignal.abort())));
    await agent.client.close();
    agent.toAgent.end(); // after a test cut the agent's replies, close() had nobody to say bye to
    await agent.done;
    index.close();
    cleanupTemps();
  });

  /** A pipeline as MasterBase.newTurn() makes one (one-shot: this process owns the names). */
  function pipeline(seed?: SeedStep): { turn: BatchPipeline; stats: CrawlStats } {
    const log = silentLogger();
    const syncer = new Syncer(
      { ...cfg, useRsyncXattrs: false, sourceRoot: master, stagingDir, checkSettled: true },
      { slave: agent.client, engine: new RsyncEngine({ ...cfg, useRsyncXattrs: false }), log },
    );
    syncers.push(syncer);
    const runner = new BatchRunner({ slave: agent.client, syncer, index, log, ownsNames: true });
    const stats = new CrawlStats();
    const turn = new BatchPipeline(
      {
        root: Buffer.from(master),
        index,
        slave: agent.client,
        log,
        clock: new ManualClock(),
        ownsNames: true,
        statsFile: path.join(tmp, 'stats.json'),
        runner,
        stats,
        propagateDeletes: true,
      },
      seed,
    );
    return { turn, stats };
  }

  const at = (name: string, pargfid: Gfid): EntryName => ({ pargfid, name: Buffer.from(name) });
  const owned = (rel: string): { mode: number; uid: number; gid: number } => {
    const st = fs.lstatSync(path.join(master, rel));
    return { mode: st.mode, uid: st.uid, gid: st.gid };
  };
  const ino = (rel: string): bigint => fs.lstatSync(path.join(master, rel), { bigint: true }).ino;

  /** A master tree (dir d, files top and d/f, symlink d/l), recorded in the index; its records. */
  function smallTree(): { records: Change[]; gfids: Gfid[] } {
    fs.mkdirSync(path.join(master, 'd'), { mode: 0o750 });
    fs.writeFileSync(path.join(master, 'top'), 'top content\n');
    fs.writeFileSync(path.join(master, 'd', 'f'), 'f content, a little longer\n');
    fs.symlinkSync('f', path.join(master, 'd', 'l'));
    const d = index.create('dir', ino('d'), at('d', ROOT_GFID));
    const top = index.create('file', ino('top'), at('top', ROOT_GFID));
    const f = index.create('file', ino('d/f'), at('f', d));
    const l = index.create('symlink', ino('d/l'), at('l', d));
    const records: Change[] = [
      { kind: 'E', gfid: d, fop: 'MKDIR', ...owned('d'), entry: at('d', ROOT_GFID) },
      { kind: 'E', gfid: top, fop: 'CREATE', ...owned('top'), entry: at('top', ROOT_GFID) },
      { kind: 'D', gfid: top },
      { kind: 'E', gfid: f, fop: 'CREATE', ...owned('d/f'), entry: at('f', d) },
      { kind: 'D', gfid: f },
      { kind: 'E', gfid: l, fop: 'SYMLINK', entry: at('l', d) },
      { kind: 'M', gfid: l, fop: 'SETATTR' },
      { kind: 'M', gfid: ROOT_GFID, fop: 'SETATTR' },
    ];
    return { records, gfids: [d, top, f, l] };
  }

  /** Writes one changelog file (as the recorder or a crawl would) and returns it as a batch file. */
  function changelog(records: readonly Change[]): BatchFile {
    const w = ChangelogWriter.open(tmp, 'CHANGELOG', seq++);
    for (const r of records) w.append(r);
    return { path: w.close(), entryOps: true };
  }

  const clean: Omit<TurnResult, 'delivered'> = { problems: new Map(), lostBatches: 0, allLanded: true, failures: 0 };
  /** A turn's result less the files it delivered (each test checks the slave itself). */
  const counted = ({ delivered: _, ...rest }: TurnResult): Omit<TurnResult, 'delivered'> => rest;

  it('applies a small changelog on the slave and settles clean: the slave mirrors the master', async () => {
    const { turn, stats } = pipeline();
    const { records, gfids } = smallTree();
    await turn.process([changelog(records)], 'changelog');
    expect(counted(await turn.settle())).to.deep.equal(clean);
    assertTreesEqual(master, slaveRoot);
    expect({
      files: stats.counts.filesSynced,
      entries: stats.counts.entryOps,
      seeded: stats.counts.entriesSeeded,
    }).to.deep.equal({
      files: 2,
      entries: 4,
      seeded: 0,
    });
    // What the slave confirmed is recorded in the index: a crawl now finds nothing to send.
    expect(gfids.filter((g) => index.syncedOf(g) === null)).to.deep.equal([]);
  });

  it('returns an item that failed as a problem of the turn, keyed by its gfid; the rest lands', async () => {
    const { records } = smallTree();
    // A file whose directory the slave never got (its MKDIR is in no batch): its CREATE fails,
    // and so does the directory's metadata, which the CREATE changed.
    fs.mkdirSync(path.join(master, 'never-sent'));
    fs.writeFileSync(path.join(master, 'never-sent', 'g'), 'g');
    const dir = index.create('dir', ino('never-sent'), at('never-sent', ROOT_GFID));
    const g = index.create('file', ino('never-sent/g'), at('g', dir));
    const create: Change = { kind: 'E', gfid: g, fop: 'CREATE', ...owned('never-sent/g'), entry: at('g', dir) };
    const { turn } = pipeline();
    await turn.process([changelog([...records, create])], 'changelog');
    const result = await turn.settle();
    expect([...result.problems.keys()]).to.have.members([g, dir]);
    expect({ lost: result.lostBatches, allLanded: result.allLanded, failures: result.failures }).to.deep.equal({
      lost: 0,
      allLanded: false,
      failures: 2,
    });
    expect(fs.readFileSync(path.join(slaveRoot, 'd', 'f'), 'utf8')).to.equal('f content, a little longer\n');
    expect(fs.existsSync(path.join(slaveRoot, 'never-sent'))).to.equal(false);
  });

  it('counts a batch whose agent died mid-batch as lost, not as a problem of any gfid', async () => {
    const { turn } = pipeline();
    // The agent's replies stop while it applies the batch's metadata: the outcome is unknown.
    beforeItem = (method) => {
      if (method === 'metaOps') agent.fromAgent.destroy();
    };
    await turn.process([changelog(smallTree().records)], 'changelog');
    const result = await turn.settle();
    expect({ problems: result.problems.size, lost: result.lostBatches, allLanded: result.allLanded }).to.deep.equal({
      problems: 0,
      lost: 1,
      allLanded: false,
    });
    expect(result.failures).to.equal(1); // counted: a one-shot sync must not exit 0 on it
  });

  it('with a seed step plugged in, what the seed copy made is adopted instead of sent', async () => {
    const { records } = smallTree();
    await new Promise((r) => setTimeout(r, 100)); // the tree was made before the copy began
    const seed = new SeedRun(
      { jobs: 1, xattrs: false, ctimeSlackMs: 50 },
      { slave: agent.client, sourceRoot: master, log: silentLogger() },
    );
    const { turn, stats } = pipeline(seed);
    // The live daemon starts the copy while the recorder indexes; the crawl turn's own start
    // then finds it running (one copy, not a second one over the first).
    const started = seed.start();
    expect(seed.start()).to.equal(started);
    await started;
    await turn.process([changelog(records)], 'crawl');
    expect(await seed.settled()).to.equal(true);
    expect(counted(await turn.settle())).to.deep.equal(clean);
    assertTreesEqual(master, slaveRoot);
    // d, top, d/f and d/l were the copy's as the crawl saw them: no entry op, no data sent.
    expect({
      seeded: stats.counts.entriesSeeded,
      files: stats.counts.filesSynced,
      entries: stats.counts.entryOps,
    }).to.deep.equal({
      seeded: 4,
      files: 0,
      entries: 0,
    });
  });

  it("start() resolves once the copy's processes run: the walk that holds the event loop next does not hold them back", async () => {
    smallTree();
    const seed = new SeedRun(
      { jobs: 2, xattrs: false },
      { slave: agent.client, sourceRoot: master, log: silentLogger() },
    );
    await seed.start();
    // Here the crawl's walk holds the event loop for seconds (in a 50,000-file remote first
    // sync the copy's rsyncs were spawned 3 s late). The cp processes must exist already.
    expect(childCommands()).to.include('cp');
    expect(await seed.settled()).to.equal(true);
  });

  it('adopts a file changed after the copy began (its ctime), but sends its data whole: a rewrite with size and mtime put back arrives', async () => {
    const { records } = smallTree();
    const top = path.join(master, 'top');
    fs.utimesSync(top, 1_600_000_000, 1_600_000_000); // whole seconds: put back exactly below
    await new Promise((r) => setTimeout(r, 100)); // the tree was made before the copy began
    const seed = new SeedRun(
      { jobs: 1, xattrs: false, ctimeSlackMs: 50 },
      { slave: agent.client, sourceRoot: master, log: silentLogger() },
    );
    const { turn, stats } = pipeline(seed);
    await seed.start();
    expect(await seed.settled()).to.equal(true);
    // After the copy read it, before the crawl's look: same size, same mtime, new content.
    fs.writeFileSync(top, 'TOP CONTENT\n');
    fs.utimesSync(top, 1_600_000_000, 1_600_000_000);
    await turn.process([changelog(records)], 'crawl');
    expect(counted(await turn.settle())).to.deep.equal(clean);
    assertTreesEqual(master, slaveRoot);
    expect({ seeded: stats.counts.entriesSeeded, files: stats.counts.filesSynced }).to.deep.equal({
      seeded: 4,
      files: 1,
    });
  });

  it('changedSince: a ctime at or after the copy began; whole-second ctimes compared by the second', () => {
    const s = 1_700_000_000_500_000_000n; // the copy began half-way through a second
    expect(changedSince(s, s)).to.equal(true);
    expect(changedSince(s - 1n, s)).to.equal(false);
    expect(changedSince(1_700_000_000_000_000_000n, s)).to.equal(true); // whole seconds: same second
    expect(changedSince(1_699_999_999_000_000_000n, s)).to.equal(false);
  });

  it('refuses a batch after settle() and a second settle(): each would go unaccounted (INTERNAL)', async () => {
    const { turn } = pipeline();
    expect(counted(await turn.settle())).to.deep.equal(clean);
    expect(await codeOfAsync(turn.settle())).to.equal('INTERNAL');
    expect(await codeOfAsync(turn.processFile(changelog([]).path, 'crawl'))).to.equal('INTERNAL');
  });

  it("classifies one batch ahead of the one sending; later ones wait as files, without the crawl's lstat", async () => {
    // A seed copy holds every batch of a crawl; classified up front they held the whole tree
    // in memory (plans and the crawl's BigIntStats: ~140 MiB at 50k files).
    const { turn } = pipeline();
    const classified: { file: string; withSeen: boolean }[] = [];
    const sends: { file: string; done: () => void }[] = [];
    const hooks = turn as unknown as {
      classify: (files: readonly { path: string }[], source: string, seen: Map<Gfid, Seen> | undefined) => Plan;
      sendBatch: (plan: Plan, file: string) => Promise<void>;
    };
    hooks.classify = (files, _source, seen) => {
      classified.push({ file: files[0]?.path ?? '', withSeen: seen !== undefined });
      return { batch: files[0]?.path ?? '' } as Plan;
    };
    hooks.sendBatch = (_plan, file) => new Promise<void>((done) => sends.push({ file, done }));
    const seen = (): Map<Gfid, Seen> => new Map();
    const runs = ['b1', 'b2', 'b3', 'b4'].map((f) => turn.processFile(f, 'crawl', seen()));
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
  });
});

/** The commands (comm) of this process's children, read now, without giving the event loop a turn. */
function childCommands(): string[] {
  const pids = fs
    .readdirSync('/proc/self/task')
    .flatMap((tid) => fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/))
    .filter((p) => p !== '');
  return pids.map((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    } catch {
      return ''; // reaped between the two reads
    }
  });
}
