// The mass-delete brake in live changelog turns, against a real in-process slave agent: a turn
// whose deletes exceed the limits holds them all (the slave keeps every entry, new entries
// still arrive, stime moves), later deletes are held too, what would take a held name waits in
// the ledger, a checkpoint waits for the held deletes, and a release lets them land.

import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogConsumer } from '../../src/changelog/consumer.js';
import { ChangelogWriter, ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Change, EntryName, Gfid } from '../../src/changelog/index.js';
import { RECORDER_KEYS } from '../../src/changelog/recorder/recorder.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { buildMaster } from '../../src/master/builder.js';
import { BRAKE_KEYS, DeleteBrake, requestRelease } from '../../src/master/delete-brake.js';
import type { MasterDeps } from '../../src/master/master-deps.js';
import { cleanupTemps, makeTemp, readyAgent } from '../slave/harness.js';
import type { ReadyAgent } from '../slave/harness.js';
import { eventLogger } from '../support/event-log.js';
import { ManualClock } from '../support/manual-clock.js';

const cfg = resolveConfig([{ source: 'the test', values: { 'sync-jobs': 1 } }]);
const FILES = 300;

describe('changelogTurn with the mass-delete brake', function () {
  this.timeout(30_000);
  let tmp: string;
  let master: string;
  let changelogs: string;
  let index: SqliteGfidIndex;
  let agent: ReadyAgent;
  let clock: ManualClock;
  let covered: number;
  let logs: ReturnType<typeof eventLogger>;
  let seq: number;

  beforeEach(async () => {
    tmp = makeTemp();
    master = path.join(tmp, 'master');
    changelogs = path.join(tmp, 'changelogs');
    fs.mkdirSync(master);
    fs.mkdirSync(changelogs);
    index = SqliteGfidIndex.open(':memory:');
    index.setMeta(RECORDER_KEYS.historyStart, '0');
    clock = new ManualClock(1_000_000);
    covered = 100_000;
    seq = 100;
    logs = eventLogger();
    agent = await readyAgent(path.join(tmp, 'slave'));
  });
  afterEach(async () => {
    await agent.client.close();
    await agent.done;
    index.close();
    cleanupTemps();
  });

  const at = (name: string, pargfid: Gfid = ROOT_GFID): EntryName => ({ pargfid, name: Buffer.from(name) });
  const ino = (rel: string): bigint => fs.lstatSync(path.join(master, rel), { bigint: true }).ino;
  const s = (rel: string): string => path.join(agent.root, rel);

  /** Publishes one changelog, as the recorder would, and moves its coverage past it. */
  function publish(records: readonly Change[]): void {
    const w = ChangelogWriter.open(changelogs, 'CHANGELOG', seq++);
    for (const r of records) w.append(r);
    w.close();
    covered += 1000;
    index.setMeta(RECORDER_KEYS.recordedUpTo, String(covered));
  }

  /** A directory on the master, recorded in the index; its MKDIR record. */
  function mkdir(rel: string, pargfid: Gfid = ROOT_GFID): { gfid: Gfid; record: Change } {
    fs.mkdirSync(path.join(master, rel));
    const gfid = index.create('dir', ino(rel), at(path.basename(rel), pargfid));
    return {
      gfid,
      record: { kind: 'E', gfid, fop: 'MKDIR', mode: 0o40755, uid: 0, gid: 0, entry: at(path.basename(rel), pargfid) },
    };
  }

  /** An empty file on the master (CREATE makes it on the slave without data). */
  function touch(rel: string, pargfid: Gfid): { gfid: Gfid; record: Change } {
    fs.writeFileSync(path.join(master, rel), '');
    const gfid = index.create('file', ino(rel), at(path.basename(rel), pargfid));
    return {
      gfid,
      record: {
        kind: 'E',
        gfid,
        fop: 'CREATE',
        mode: 0o100644,
        uid: 0,
        gid: 0,
        entry: at(path.basename(rel), pargfid),
      },
    };
  }

  async function turn(): Promise<void> {
    const m = new (buildMaster({
      detect: 'changelog',
      mode: 'normal',
      sendmark: 'normal',
      purge: 'normal',
      engine: 'rsync',
    }))();
    const brake = new DeleteBrake(cfg, { rootPath: master, index, held: index.heldDeletes(), log: logs.log, clock });
    const deps: MasterDeps = {
      rootPath: master,
      root: Buffer.from(master),
      index,
      slave: agent.client,
      ownsNames: false,
      log: logs.log,
      clock,
      xsyncDir: tmp,
      statsFile: path.join(tmp, 'status.json'),
      stagingDir: '/nonexistent',
      slaveIsRoot: false,
      fullCrawl: false,
      consumer: new ChangelogConsumer(changelogs, index),
      brake,
      crawl: cfg,
      syncer: cfg,
      onSkip: () => undefined,
    };
    m.start(deps);
    await m.run(1);
    await m.stop();
  }

  /** Two directories of FILES/2 empty files each, synced to the slave. */
  async function tree(): Promise<{ a: Gfid; b: Gfid; files: Map<string, Gfid> }> {
    const files = new Map<string, Gfid>();
    const records: Change[] = [];
    const a = mkdir('a');
    const b = mkdir('b');
    records.push(a.record, b.record);
    for (let i = 0; i < FILES; i++) {
      const dir = i % 2 === 0 ? 'a' : 'b';
      const f = touch(`${dir}/f${i}`, dir === 'a' ? a.gfid : b.gfid);
      files.set(`${dir}/f${i}`, f.gfid);
      records.push(f.record);
    }
    publish(records);
    await turn();
    expect(fs.readdirSync(s('a')).length + fs.readdirSync(s('b')).length).to.equal(FILES);
    return { a: a.gfid, b: b.gfid, files };
  }

  /** Removes a whole directory on the master as the recorder records it: one RMDIR. */
  function rmTree(rel: string, gfid: Gfid): Change {
    fs.rmSync(path.join(master, rel), { recursive: true });
    index.removeTree(gfid);
    return { kind: 'E', gfid, fop: 'RMDIR', entry: at(rel) };
  }

  it('holds a turn whose deletes take half the tree, lets creates through, holds later deletes, and a release lands them', async () => {
    const { a, b, files } = await tree();
    const stimeBefore = Number(index.getMeta('stime'));
    // Half the tree in one RMDIR (the recorder records a vanished directory as one), and a new directory.
    const fresh = mkdir('fresh');
    publish([rmTree('a', a), fresh.record]);
    await turn();
    expect(fs.readdirSync(s('a')).length, 'the slave keeps every file').to.equal(FILES / 2);
    expect(fs.existsSync(s('fresh')), 'a new directory still arrives').to.equal(true);
    expect(index.getMeta(BRAKE_KEYS.cause)).to.match(/151 deletes would remove 50% of the 302 entries on the slave/);
    expect(index.heldDeletes().count()).to.equal(1);
    expect(Number(index.getMeta('stime'))).to.be.greaterThan(stimeBefore); // stime moves by the one rule
    expect(fs.readdirSync(changelogs)).to.deep.equal([]);
    // A held delete is a change the slave lacks: a checkpoint before it must wait.
    expect(index.heldDeletes().countBefore(covered)).to.equal(1);

    // Once held, every delete is held: one file of b, however few.
    const f1 = files.get('b/f1') as Gfid;
    fs.rmSync(path.join(master, 'b/f1'));
    index.unlink(at('f1', b));
    publish([{ kind: 'E', gfid: f1, fop: 'UNLINK', entry: at('f1', b) }]);
    await turn();
    expect(fs.existsSync(s('b/f1'))).to.equal(true);
    expect(index.heldDeletes().count()).to.equal(2);

    // A new directory under the held name 'a' would replace the held one on the slave: it waits.
    const again = mkdir('a');
    publish([again.record]);
    await turn();
    expect(fs.readdirSync(s('a')).length).to.equal(FILES / 2);
    expect(index.ledgerAll().map((i) => [i.gfid, i.code])).to.deep.equal([[again.gfid, 'DELETE_HELD']]);

    expect(requestRelease(index, index.heldDeletes())).to.deep.equal({ held: 2, engaged: true });
    await turn();
    expect(fs.existsSync(s('b/f1')), 'released deletes land').to.equal(false);
    expect(index.heldDeletes().count()).to.equal(0);
    expect(index.getMeta(BRAKE_KEYS.cause)).to.equal(undefined);
    // The held RMDIR of the old 'a' is sent (the master's 'a' is another gfid), then the new 'a' is synced by the ledger.
    clock.advance(10_000);
    await turn();
    expect(fs.readdirSync(s('a'))).to.deep.equal([]);
    expect(index.ledgerCount()).to.equal(0);
    expect(logs.events.filter((e) => e['event'] === 'delete_brake').map((e) => e['action'])).to.deep.equal([
      'engaged',
      'released',
    ]);
  });

  it('lets a small delete through, and holds every delete once the master root is replaced', async () => {
    const { b, files } = await tree();
    const f3 = files.get('b/f3') as Gfid;
    fs.rmSync(path.join(master, 'b/f3'));
    index.unlink(at('f3', b));
    publish([{ kind: 'E', gfid: f3, fop: 'UNLINK', entry: at('f3', b) }]);
    await turn();
    expect(fs.existsSync(s('b/f3'))).to.equal(false);
    expect(index.getMeta(BRAKE_KEYS.cause)).to.equal(undefined);

    // The master root is now another directory (mounted over, say): the next turn holds, even
    // with no delete in it, and so does every turn after.
    fs.renameSync(master, `${master}.old`);
    fs.mkdirSync(master);
    await turn();
    expect(index.getMeta(BRAKE_KEYS.cause)).to.match(/another directory .* unmounted, mounted over or replaced/);
    const f5 = files.get('b/f5') as Gfid;
    index.unlink(at('f5', b));
    publish([{ kind: 'E', gfid: f5, fop: 'UNLINK', entry: at('f5', b) }]);
    await turn();
    expect(fs.existsSync(s('b/f5'))).to.equal(true);
  });
});
