// Deferred CREATE: the agent records the name and makes no file; the commit's rename creates
// it (with every hard-link name), here with real rsync filling the box from a master tree.

import { expect } from 'chai';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT_GFID, apply, at, cleanupTemps, item, makeTemp, newGfid, ops, readyAgent } from './harness.js';
import type { InProcessAgent } from './harness.js';
import type { StageItem } from '../../src/slave/index.js';
import { ExecaSpawner, RsyncEngine } from '../../src/syncer/index.js';

const BOX = 'deferred';

describe('slave/staging: deferred CREATE', () => {
  let a: InProcessAgent & { root: string };
  let master: string;
  const p = (rel: string) => join(a.root, rel);
  /** Writes a file on the master, with a mode and mtime rsync -a must carry over. */
  const onMaster = (rel: string, content: string, mode = 0o640): void => {
    const abs = join(master, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    chmodSync(abs, mode);
    utimesSync(abs, 1_700_000_000, 1_700_000_000);
  };
  /** stageData -> real rsync from the master root into the box -> commitData, as runBox does. */
  async function syncData(items: readonly StageItem[], paths: readonly string[]) {
    const staged = await a.client.call('stageData', { box: BOX, items, basis: true });
    const stagingDir = join(a.root, '.georep', 'staging', BOX);
    const engine = new RsyncEngine(
      { rsyncCommand: 'rsync', rsyncOptions: '', useRsyncXattrs: false },
      { spawner: new ExecaSpawner() },
    );
    const sent = await engine.transfer({
      sourceRoot: master,
      stagingDir,
      sparse: false,
      paths: paths.map((x) => Buffer.from(x)),
      quickCheck: 'off',
    });
    return { staged, sent, committed: await a.client.call('commitData', { box: BOX, items }) };
  }
  beforeEach(async () => {
    a = await readyAgent();
    master = makeTemp();
  });
  afterEach(async () => {
    await a.client.close();
    await a.done;
    cleanupTemps();
  });

  it('makes no file at CREATE (replay too); the commit creates it with rsync’s content, mode and mtime', async () => {
    const f = newGfid();
    const create = ops.createDeferred(f, ROOT_GFID, 'f');
    expect(await apply(a.client, [create, create])).to.deep.equal([]);
    expect(existsSync(p('f'))).to.equal(false);
    onMaster('m/f', 'from rsync');
    const { staged, sent, committed } = await syncData([item(f, 'm/f')], ['m/f']);
    expect([staged.unknown, sent.exitCode]).to.deep.equal([[], 0]); // known to the index, no basis
    expect(committed.committed.map((c) => [c.gfid, c.replaced, c.size, c.mtime])).to.deep.equal([
      [f, true, 10, { sec: 1_700_000_000, nsec: 0 }],
    ]);
    const st = lstatSync(p('f'));
    expect([readFileSync(p('f'), 'utf8'), st.mode & 0o7777, st.nlink]).to.deep.equal(['from rsync', 0o640, 1]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'f']);
    expect(readdirSync(join(a.root, '.georep', 'staging'))).to.deep.equal([]);
  });

  it('LINK and CREATE of the deferred gfid record names only; the commit makes one hard-link group', async () => {
    const [f, d] = [newGfid(), newGfid()];
    const batch = [
      ops.mkdir(d, ROOT_GFID, 'd'),
      ops.createDeferred(f, ROOT_GFID, 'a'),
      ops.link(f, d, 'b'),
      ops.createDeferred(f, ROOT_GFID, 'c'),
    ];
    expect(await apply(a.client, batch)).to.deep.equal([]);
    expect([existsSync(p('a')), existsSync(p('d/b')), existsSync(p('c'))]).to.deep.equal([false, false, false]);
    onMaster('a', 'shared');
    const { committed } = await syncData([item(f, 'a')], ['a']);
    expect(committed.missing).to.deep.equal([]);
    const ino = lstatSync(p('a')).ino;
    for (const n of ['a', 'd/b', 'c'])
      expect([readFileSync(p(n), 'utf8'), lstatSync(p(n)).ino], n).to.deep.equal(['shared', ino]);
    expect(lstatSync(p('a')).nlink).to.equal(3);
  });

  it('RENAME of a deferred file moves only its name: the data lands at the new name', async () => {
    const [f, d] = [newGfid(), newGfid()];
    const mv = ops.rename(f, at(ROOT_GFID, 'tmp'), at(d, 'final'));
    expect(
      await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.createDeferred(f, ROOT_GFID, 'tmp'), mv]),
    ).to.deep.equal([]);
    expect([existsSync(p('tmp')), existsSync(p('d/final'))]).to.deep.equal([false, false]);
    expect(await apply(a.client, [mv])).to.deep.equal([]); // replay
    onMaster('d/final', 'renamed');
    await syncData([item(f, 'd/final')], ['d/final']);
    expect(readFileSync(p('d/final'), 'utf8')).to.equal('renamed');
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'd']);
  });

  it('UNLINK of a deferred file drops its name: a lone name leaves the gfid unknown, a hard link keeps it', async () => {
    const [gone, kept] = [newGfid(), newGfid()];
    const batch = [
      ops.createDeferred(gone, ROOT_GFID, 'gone'),
      ops.unlink(gone, ROOT_GFID, 'gone'),
      ops.createDeferred(kept, ROOT_GFID, 'k1'),
      ops.link(kept, ROOT_GFID, 'k2'),
      ops.unlink(kept, ROOT_GFID, 'k1'),
    ];
    expect(await apply(a.client, batch)).to.deep.equal([]);
    onMaster('gone', 'x');
    onMaster('k2', 'kept data');
    const { staged } = await syncData([item(gone, 'gone'), item(kept, 'k2')], ['k2']);
    expect(staged.unknown).to.deep.equal([gone]);
    expect(readFileSync(p('k2'), 'utf8')).to.equal('kept data');
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'k2']);
  });

  it('leaves a deferred file absent when its data did not come, and reports it missing', async () => {
    const f = newGfid();
    await apply(a.client, [ops.createDeferred(f, ROOT_GFID, 'f')]);
    const { sent, committed } = await syncData([item(f, 'f')], ['f']); // no master file: --ignore-missing-args
    expect([sent.exitCode, committed.missing, committed.committed]).to.deep.equal([0, [f], []]);
    expect(existsSync(p('f'))).to.equal(false);
  });
});
