// changelogTurn: a changelog is marked done only when the turn accounts for everything it
// carried: landed, or each problem in the failure ledger. A batch whose outcome is unknown
// (the slave agent died mid-batch, the worker was stopped) keeps its changelogs and stime.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogConsumer } from '../../src/changelog/consumer.js';
import { ChangelogWriter, ROOT_GFID } from '../../src/changelog/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { SqliteGfidIndex, readEntryOpsApplied, writeEntryOpsApplied } from '../../src/store/index.js';
import type { LedgerItem } from '../../src/store/index.js';
import { RECORDER_KEYS } from '../../src/changelog/recorder/recorder.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { GeorepError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { buildMaster } from '../../src/master/builder.js';
import type { MasterDeps } from '../../src/master/master-deps.js';
import type { SlaveCaller } from '../../src/slave/index.js';
import { AgentSlave } from '../support/agent-slave.js';
import { ManualClock } from '../support/manual-clock.js';
import { eventLogger } from '../support/event-log.js';
import { compareTrees } from '../support/tree-compare.js';
import { newGfid, ops } from '../slave/harness.js';

const cfg = resolveConfig([{ source: 'the test', values: { 'sync-jobs': 1 } }]);
const COVERED_MS = 200_000;

describe('changelogTurn', () => {
  let tmp: string;
  let index: SqliteGfidIndex;
  let changelogs: string;
  let agents: AgentSlave[];
  beforeEach(() => {
    agents = [];
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-turn-'));
    changelogs = path.join(tmp, 'changelogs');
    fs.mkdirSync(changelogs);
    fs.mkdirSync(path.join(tmp, 'master'));
    const old = new Date('2001-02-03T04:05:06Z');
    fs.utimesSync(path.join(tmp, 'master'), old, old); // what the root's meta op carries
    index = SqliteGfidIndex.open(':memory:');
    index.setMeta(RECORDER_KEYS.historyStart, '0');
    index.setMeta(RECORDER_KEYS.recordedUpTo, String(COVERED_MS));
    // The recorder saw the root's attributes change: the worker sends them as a meta op.
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 100);
    writer.append({ kind: 'M', gfid: ROOT_GFID, fop: 'SETATTR' });
    writer.close();
  });
  afterEach(async () => {
    for (const a of agents) await a.close();
    index.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * The real agent on one slave root; `dying`: its connection breaks as it starts the first
   * meta op (the op is applied, its reply is lost: the client fails the call with AGENT_DIED).
   */
  async function agent(dying: boolean): Promise<AgentSlave> {
    const slave = await AgentSlave.start(path.join(tmp, 'slave'));
    agents.push(slave);
    if (dying)
      slave.beforeItem = (method) => {
        if (method === 'metaOps') slave.cut();
      };
    return slave;
  }

  async function turn(
    caller: SlaveCaller,
    clock = new ManualClock(),
    purge: 'normal' | 'noop' = 'normal',
    log = silentLogger(),
  ): Promise<{ turns: { clean: boolean; stime: number }[]; codes: string[] }> {
    const m = new (buildMaster({
      detect: 'changelog',
      mode: 'normal',
      sendmark: 'normal',
      purge,
      engine: 'rsync',
    }))();
    const turns: { clean: boolean; stime: number }[] = [];
    const deps: MasterDeps = {
      rootPath: path.join(tmp, 'master'),
      root: Buffer.from(path.join(tmp, 'master')),
      index,
      slave: caller,
      ownsNames: false,
      log,
      clock,
      xsyncDir: tmp,
      statsFile: path.join(tmp, 'status.json'),
      stagingDir: path.join(tmp, 'slave', '.georep', 'staging'),
      slaveIsRoot: false,
      fullCrawl: false,
      consumer: new ChangelogConsumer(changelogs, index),
      onTurn: (stime) =>
        turns.push({ stime, clean: index.ledgerCount() === 0 && fs.readdirSync(changelogs).length === 0 }),
      crawl: cfg,
      syncer: cfg,
      onSkip: () => undefined,
    };
    m.start(deps);
    await m.run(1);
    await m.stop();
    return { turns, codes: m.stats.failures.map((f) => f.code) };
  }

  const st = (rel: string): fs.BigIntStats => fs.lstatSync(path.join(tmp, 'master', rel), { bigint: true });
  /** Marks `g` confirmed on the slave with the master's attributes of `rel`. */
  const confirm = (g: Gfid, rel: string): void => {
    const s = st(rel);
    index.markSynced(g, {
      size: Number(s.size),
      mtimeNs: s.mtimeNs,
      ctimeNs: s.ctimeNs,
      mode: Number(s.mode),
      uid: 0,
      gid: 0,
    });
  };
  /** A directory d holding a file f, on the master and in the index. */
  function dirWithFile(): { d: Gfid; f: Gfid } {
    fs.mkdirSync(path.join(tmp, 'master', 'd'));
    fs.writeFileSync(path.join(tmp, 'master', 'd', 'f'), 'f');
    const d = index.create('dir', st('d').ino, { pargfid: ROOT_GFID, name: Buffer.from('d') });
    const f = index.create('file', st('d/f').ino, { pargfid: d, name: Buffer.from('f') });
    return { d, f };
  }
  /** f's item, due, failed last because the slave did not know d: one turn lands d/f and empties the ledger. */
  async function expectRetryUnderUnknownParent({ d, f }: { d: Gfid; f: Gfid }): Promise<void> {
    const message = `parent directory ${d} is not known on the slave`;
    index.ledgerRecord({ gfid: f, path: 'd/f', code: 'GFID_UNKNOWN', errno: null, message, changeMs: 0 }, 0, 0);
    expect((await turn(await agent(false))).codes).to.deep.equal([]);
    expect(fs.readFileSync(path.join(tmp, 'slave', 'd', 'f'), 'utf8')).to.equal('f');
    expect(index.ledgerCount()).to.equal(0);
  }

  it('keeps the changelogs and stime of a batch whose outcome is unknown, and reads them again', async () => {
    // Counted as a failure too: a one-shot sync would not exit 0 on it.
    expect(await turn(await agent(true))).to.deep.equal({ turns: [{ stime: 0, clean: false }], codes: ['AGENT_DIED'] });
    expect(fs.readdirSync(changelogs)).to.deep.equal(['CHANGELOG.100']);
    expect(index.getMeta('stime')).to.equal(undefined);
    const rootDiffs = (): string[] =>
      compareTrees(path.join(tmp, 'master'), path.join(tmp, 'slave'), { owners: false }).map(
        (d) => `${d.what} ${d.path}`,
      );
    // The agent applied the meta op and only its reply was lost: the slave has it, the master
    // cannot know, so it keeps the changelog and stime as above.
    expect(rootDiffs()).to.deep.equal([]);

    const healthy = await agent(false);
    expect(await turn(healthy)).to.deep.equal({ turns: [{ stime: COVERED_MS, clean: true }], codes: [] });
    expect(healthy.methods).to.deep.equal(['metaOps', 'setStime']);
    expect(fs.readdirSync(changelogs)).to.deep.equal([]);
    expect(index.getMeta('stime')).to.equal(String(COVERED_MS));
    // Replayed (meta ops are idempotent): the slave root still has the master root's times.
    expect(rootDiffs()).to.deep.equal([]);
  });

  it("files a batch's failed entry op in the ledger though the batch is lost after its entry ops; the next turn lands it", async () => {
    // The entry-ops position moves past a batch once its entry ops are applied: a replay skips
    // them. Its failures were filed only with its outcome, and a batch lost after its entry ops
    // (the agent gone, or the worker killed) lost them: "No failures", a checkpoint completed,
    // and the slave never got the entry (live probe, kill -9 under load).
    const { d, f } = dirWithFile(); // d is not on the slave: f's CREATE fails there
    const s = st('d/f');
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 150);
    const entry = { pargfid: d, name: Buffer.from('f') };
    writer.append({ kind: 'E', gfid: f, fop: 'CREATE', mode: Number(s.mode), uid: 0, gid: 0, entry });
    writer.append({ kind: 'D', gfid: f });
    writer.close();
    const logged = eventLogger();
    const lost = await turn(await agent(true), new ManualClock(), 'normal', logged.log);
    expect(lost.codes).to.include('AGENT_DIED');
    expect(index.ledgerGet(f)?.code, 'the failed CREATE is in the ledger').to.equal('GFID_UNKNOWN');
    const added = logged.events.filter((e) => e['event'] === 'failure_added' && e['gfid'] === f);
    expect(added, 'said once, as failure_added').to.have.length(1);
    index.ledgerRecord({ ...(index.ledgerGet(f) as LedgerItem), changeMs: 0 }, 0, 0); // due now
    await turn(await agent(false)); // the replayed batch's data goes first, and fails once more
    expect(fs.readFileSync(path.join(tmp, 'slave', 'd', 'f'), 'utf8')).to.equal('f');
    index.ledgerRecord({ ...(index.ledgerGet(f) as LedgerItem), changeMs: 0 }, 0, 0); // due now
    expect((await turn(await agent(false))).codes).to.deep.equal([]);
    expect(index.ledgerCount()).to.equal(0);
  });

  it('resolves a content item (CHANGED_DURING_SYNC) that a later change delivered, without waiting for its retry', async () => {
    // A file written for a while filed it at every turn; the checkpoint then waited up to
    // retry-backoff-max (301 s in the probe) after the slave held the file.
    const { d, f } = dirWithFile();
    const healthy = await agent(false);
    await healthy.call('entryOps', { ops: [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, d, 'f')] });
    fs.writeFileSync(path.join(tmp, 'slave', 'd', 'f'), 'old');
    confirm(d, 'd');
    const message = 'd/f changed on the master while it was copied';
    index.ledgerRecord(
      { gfid: f, path: 'd/f', code: 'CHANGED_DURING_SYNC', errno: null, message, changeMs: 0 },
      0,
      9e15,
    );
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 150);
    writer.append({ kind: 'D', gfid: f });
    writer.close();
    expect((await turn(healthy)).codes).to.deep.equal([]);
    expect(fs.readFileSync(path.join(tmp, 'slave', 'd', 'f'), 'utf8')).to.equal('f');
    expect(index.ledgerCount(), 'resolved by the delivery, not kept until its retry').to.equal(0);
  });

  it('never moves the entry-ops position back to changelogs read again', async () => {
    // A turn read again changelogs whose entry ops were applied and wrote the position back to
    // them; a worker killed before it passed the old one applied their entry ops a second time,
    // after later ones (live kill probe, 10 of 14 rounds).
    writeEntryOpsApplied(index, 'CHANGELOG.200');
    const slave = await agent(true); // the batch is lost: its changelog stays to be read again
    await turn(slave);
    expect(fs.readdirSync(changelogs)).to.deep.equal(['CHANGELOG.100']);
    const at = readEntryOpsApplied(index);
    expect(at === undefined ? undefined : `${at.prefix}.${at.ts}`).to.equal('CHANGELOG.200');
  });

  it('drops from the slave, at once, an entry of the ledger the master no longer has, and resolves it', async () => {
    // Resolved at its retry and never removed, a copy a failed RENAME had kept at its old name
    // stayed on the slave for good (live kill probe); and the item held checkpoints meanwhile.
    const gone = newGfid(); // the recorder dropped it: removed on the master
    const slave = await agent(false);
    await slave.call('entryOps', { ops: [ops.create(gone, ROOT_GFID, 'kept by a failed rename')] });
    const message = 'the entry moved before it could be synced';
    index.ledgerRecord({ gfid: gone, path: 'x', code: 'RECORDER_BEHIND', errno: null, message, changeMs: 0 }, 0, 9e15);
    expect((await turn(slave)).codes).to.deep.equal([]);
    expect(index.ledgerCount()).to.equal(0);
    expect(fs.existsSync(path.join(tmp, 'slave', 'kept by a failed rename'))).to.equal(false);
  });

  it('retries an entry whose parent the slave lacks with the parent first, though only the entry is due', async () => {
    // Seeded random live test, seed 83: the children of a directory the slave never got were
    // retried every few seconds ("parent directory … is not known on the slave") while the
    // directory's own item was never due in the same turn; only a restart's crawl made it.
    await expectRetryUnderUnknownParent(dirWithFile());
  });

  it('makes again a directory the slave lost though the master had confirmed it, once the slave says it lacks it', async () => {
    const entries = dirWithFile();
    confirm(entries.d, 'd');
    await expectRetryUnderUnknownParent(entries);
  });

  it('syncs again everything below a directory the slave says it lacks, though the master had confirmed it all', async () => {
    // Seeded random live test, seed 83: the slave lost a confirmed directory with its subtree;
    // retrying only the failed items made the directory again, empty, and a checkpoint
    // completed with 38 entries missing.
    const master = path.join(tmp, 'master');
    fs.mkdirSync(path.join(master, 'd', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(master, 'd', 'f'), 'f');
    fs.writeFileSync(path.join(master, 'd', 'sub', 'g'), 'g');
    const d = index.create('dir', st('d').ino, { pargfid: ROOT_GFID, name: Buffer.from('d') });
    const sub = index.create('dir', st('d/sub').ino, { pargfid: d, name: Buffer.from('sub') });
    const f = index.create('file', st('d/f').ino, { pargfid: d, name: Buffer.from('f') });
    const g = index.create('file', st('d/sub/g').ino, { pargfid: sub, name: Buffer.from('g') });
    for (const [gfid, rel] of [
      [d, 'd'],
      [sub, 'd/sub'],
      [f, 'd/f'],
      [g, 'd/sub/g'],
    ] as const)
      confirm(gfid, rel);
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 150);
    writer.append({ kind: 'M', gfid: d, fop: 'SETATTR' }); // the slave has no d: GFID_UNKNOWN
    writer.close();
    const slave = await agent(false);
    expect((await turn(slave)).codes).to.deep.equal(['GFID_UNKNOWN']);
    expect((await turn(slave)).codes).to.deep.equal([]);
    expect(
      compareTrees(master, path.join(tmp, 'slave'), { owners: false }).map((x) => `${x.what} ${x.path}`),
    ).to.deep.equal([]);
    // Left: d's own item, not due yet (the clock stands still here); its retry finds d made.
    expect(index.ledgerAll().map((i) => i.gfid)).to.deep.equal([d]);
  });

  it('with ignore-deletes, lands what the slave refused for a kept directory (ENOTEMPTY, for ever before) and a rename over one: merged or kept aside', async () => {
    // rm -rf a; mkdir a; echo > a/new, filed ENOTEMPTY by an agent that refused the kept a; then
    // rm -rf d; mv e d. The retry from the ledger and the RENAME carry keepDeleted.
    const master = path.join(tmp, 'master');
    fs.mkdirSync(path.join(master, 'a'));
    fs.writeFileSync(path.join(master, 'a', 'new'), 'new');
    fs.mkdirSync(path.join(master, 'd'));
    fs.writeFileSync(path.join(master, 'd', 'enew'), 'e');
    const at = (pargfid: Gfid, name: string) => ({ pargfid, name: Buffer.from(name) });
    const a2 = index.create('dir', st('a').ino, at(ROOT_GFID, 'a'));
    const n = index.create('file', st('a/new').ino, at(a2, 'new'));
    const e = index.create('dir', st('d').ino, at(ROOT_GFID, 'd'));
    const en = index.create('file', st('d/enew').ino, at(e, 'enew'));
    confirm(en, 'd/enew');
    const [a1, old, d1, dold] = [newGfid(), newGfid(), newGfid(), newGfid()];
    const slave = await agent(false);
    await slave.call('entryOps', {
      ops: [
        ...[ops.mkdir(a1, ROOT_GFID, 'a'), ops.create(old, a1, 'old')],
        ...[ops.mkdir(d1, ROOT_GFID, 'd'), ops.create(dold, d1, 'dold')],
        ...[ops.mkdir(e, ROOT_GFID, 'e'), ops.create(en, e, 'enew')],
      ],
    });
    const s = (rel: string): string => path.join(tmp, 'slave', rel);
    for (const [rel, data] of [
      ['a/old', 'kept a'],
      ['d/dold', 'kept d'],
      ['e/enew', 'e'],
    ] as const)
      fs.writeFileSync(s(rel), data);
    const message = `directory a on the slave (gfid ${a1}) still holds a/old`;
    index.ledgerRecord({ gfid: a2, path: 'a', code: 'ENOTEMPTY', errno: 'ENOTEMPTY', message, changeMs: 0 }, 0, 0);
    const unknown = `parent directory ${a2} is not known on the slave`;
    index.ledgerRecord({ gfid: n, path: a2, code: 'GFID_UNKNOWN', errno: null, message: unknown, changeMs: 0 }, 0, 0);
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 150);
    writer.append({ kind: 'E', gfid: e, fop: 'RENAME', entry: at(ROOT_GFID, 'e'), to: at(ROOT_GFID, 'd') });
    writer.close();
    expect((await turn(slave, new ManualClock(), 'noop')).codes).to.deep.equal([]);
    expect(index.ledgerAll().map((i) => `${i.code} ${i.path}`)).to.deep.equal([]);
    const aside = `d.georep-kept-${d1.slice(0, 8)}`;
    expect(fs.readdirSync(s('.')).sort()).to.deep.equal(['.georep', 'a', 'd', aside]);
    expect([
      fs.readdirSync(s('a')).sort(),
      fs.readFileSync(s('a/old'), 'utf8'),
      fs.readFileSync(s('a/new'), 'utf8'),
    ]).to.deep.equal([['new', 'old'], 'kept a', 'new']);
    expect([fs.readdirSync(s('d')), fs.readFileSync(s(`${aside}/dold`), 'utf8')]).to.deep.equal([['enew'], 'kept d']);
  });

  it('retries a directory renamed over one the slave still fills until the entry there has moved out: nothing is deleted', async () => {
    // Seeded random live test, seed 83's shape: mv Y/c Z/c, mv X Y (Y empty on the master). The
    // slave lacks Z, so c stays in its Y; the agent refuses to delete Y with c (ENOTEMPTY), the
    // retries make Z, move c there, then put X on the emptied Y.
    const master = path.join(tmp, 'master');
    fs.mkdirSync(path.join(master, 'Y'));
    fs.mkdirSync(path.join(master, 'Z', 'c'), { recursive: true });
    fs.writeFileSync(path.join(master, 'Z', 'c', 'f'), 'f');
    const st = (rel: string): fs.BigIntStats => fs.lstatSync(path.join(master, rel), { bigint: true });
    const at = (pargfid: Gfid, name: string) => ({ pargfid, name: Buffer.from(name) });
    const x = index.create('dir', st('Y').ino, at(ROOT_GFID, 'Y'));
    const z = index.create('dir', st('Z').ino, at(ROOT_GFID, 'Z'));
    const c = index.create('dir', st('Z/c').ino, at(z, 'c'));
    const f = index.create('file', st('Z/c/f').ino, at(c, 'f'));
    const y = newGfid(); // replaced on the master: the recorder holds it no more
    const slave = await agent(false);
    await slave.call('entryOps', {
      ops: [ops.mkdir(x, ROOT_GFID, 'X'), ops.mkdir(y, ROOT_GFID, 'Y'), ops.mkdir(c, y, 'c'), ops.create(f, c, 'f')],
    });
    fs.writeFileSync(path.join(tmp, 'slave', 'Y', 'c', 'f'), 'f');
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 150);
    writer.append({ kind: 'E', gfid: c, fop: 'RENAME', entry: at(y, 'c'), to: at(z, 'c') });
    writer.append({ kind: 'E', gfid: x, fop: 'RENAME', entry: at(ROOT_GFID, 'X'), to: at(ROOT_GFID, 'Y') });
    writer.close();
    const clock = new ManualClock();
    expect((await turn(slave, clock)).codes.sort()).to.deep.equal(['ENOTEMPTY', 'GFID_UNKNOWN']);
    expect(fs.readFileSync(path.join(tmp, 'slave', 'Y', 'c', 'f'), 'utf8')).to.equal('f');
    for (let i = 0; i < 4 && index.ledgerCount() > 0; i++) {
      clock.advance(cfg.retryBackoffMax * 1000);
      await turn(slave, clock);
    }
    expect(index.ledgerAll().map((i) => `${i.code} ${i.path}`)).to.deep.equal([]);
    expect(
      compareTrees(master, path.join(tmp, 'slave'), { owners: false }).map((d) => `${d.what} ${d.path}`),
    ).to.deep.equal([]);
  });
  it('a hard-linked file whose RENAME failed is resynced to exactly its master names: the old one goes (real agent)', async () => {
    // Seeded random live test, seed 947: mv B/two C/two with C unknown to the slave. The RENAME
    // fails GFID_UNKNOWN; the retry makes C and the file's names from the master's current
    // state, and must drop B/two, which the master no longer has (it stayed: nlink 3 for 2).
    const master = path.join(tmp, 'master');
    for (const d of ['A', 'B', 'C']) fs.mkdirSync(path.join(master, d));
    fs.writeFileSync(path.join(master, 'A', 'one'), 'linked');
    fs.linkSync(path.join(master, 'A', 'one'), path.join(master, 'C', 'two'));
    const st = (rel: string): fs.BigIntStats => fs.lstatSync(path.join(master, rel), { bigint: true });
    const at = (pargfid: Gfid, name: string) => ({ pargfid, name: Buffer.from(name) });
    const [a, b, c] = ['A', 'B', 'C'].map((d) => index.create('dir', st(d).ino, at(ROOT_GFID, d))) as [
      Gfid,
      Gfid,
      Gfid,
    ];
    const f = index.create('file', st('A/one').ino, at(a, 'one'));
    index.link(f, at(c, 'two'));
    const slave = await agent(false);
    await slave.call('entryOps', {
      ops: [
        ops.mkdir(a, ROOT_GFID, 'A'),
        ops.mkdir(b, ROOT_GFID, 'B'),
        ops.create(f, a, 'one'),
        ops.create(f, b, 'two'),
      ],
    });
    fs.writeFileSync(path.join(tmp, 'slave', 'A', 'one'), 'linked');
    // The directories' times as earlier syncs left them, equal on both sides to the ns (whole
    // seconds: ext4's coarse clock would make two mkdirs' times equal only by luck).
    const old = new Date('2001-02-03T04:05:06Z');
    for (const d of ['A', 'B', 'C']) fs.utimesSync(path.join(master, d), old, old);
    for (const d of ['A', 'B']) fs.utimesSync(path.join(tmp, 'slave', d), old, old);
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 150);
    writer.append({ kind: 'E', gfid: f, fop: 'RENAME', entry: at(b, 'two'), to: at(c, 'two') });
    writer.close();
    const clock = new ManualClock();
    expect((await turn(slave, clock)).codes).to.deep.equal(['GFID_UNKNOWN']);
    for (let i = 0; i < 4 && index.ledgerCount() > 0; i++) {
      clock.advance(cfg.retryBackoffMax * 1000);
      await turn(slave, clock);
    }
    expect(index.ledgerAll().map((i) => `${i.code} ${i.path}`)).to.deep.equal([]);
    expect(
      compareTrees(master, path.join(tmp, 'slave'), { owners: false })
        // B's mtime is left out: this changelog, unlike the recorder's, carries no SETATTR of B
        // for the master's rename out of it, and a retry may still move B/two (not yet known
        // which path does it; the names are what this test is about).
        .filter((d) => !(d.what === 'mtime' && d.path === 'B'))
        .map((d) => `${d.what} ${d.path} ${d.master} ${d.slave}`),
    ).to.deep.equal([]);
  });
});
