// stageData/commitData: each box in a folder of its own, items at their master paths in it;
// data by gfid, replaced atomically; hard-link groups; unchanged content; the box goes at commit.

import { expect } from 'chai';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ROOT_GFID, apply, cleanupTemps, item, makeTemp, newGfid, ops, readyAgent } from './harness.js';
import type { InProcessAgent } from './harness.js';
import type { Committed, StageItem } from '../../src/slave/index.js';
import type { Gfid } from '../../src/changelog/index.js';

const BOX = 'box-1';

describe('slave/staging', () => {
  let a: InProcessAgent & { root: string };
  let staging: string;
  const p = (rel: string) => join(a.root, rel);
  const inBox = (rel: string, box = BOX) => join(staging, box, rel);
  const stage = (items: readonly StageItem[], basis = true, box = BOX) =>
    a.client.call('stageData', { box, items, basis });
  const commit = (items: readonly StageItem[], box = BOX) => a.client.call('commitData', { box, items });
  /** What rsync does with a basis: write a new file beside it, rename it over the staged name. */
  const rsyncWrites = (rel: string, content: string, box = BOX) => {
    const dst = inBox(rel, box);
    const tmp = join(dirname(dst), `.${basename(dst)}.XXXXXX`);
    writeFileSync(tmp, content);
    renameSync(tmp, dst);
  };
  /** The Committed record a file on disk gives. */
  const committedOf = (gfid: Gfid, replaced: boolean, abs: string): Committed => {
    const st = lstatSync(abs, { bigint: true });
    return {
      gfid,
      replaced,
      size: Number(st.size),
      mtime: { sec: Number(st.mtimeNs / 1_000_000_000n), nsec: Number(st.mtimeNs % 1_000_000_000n) },
    };
  };
  beforeEach(async () => {
    a = await readyAgent();
    staging = join(a.root, '.georep', 'staging');
  });
  afterEach(async () => {
    await a.client.close();
    await a.done;
    cleanupTemps();
  });

  it('stages the live file as basis at its master path in the box and commits new content atomically; a reader keeps the old inode', async () => {
    const f = newGfid();
    const fItem = item(f, 'sub/dir/f');
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    writeFileSync(p('f'), 'old content');
    const oldIno = lstatSync(p('f')).ino;
    expect(await stage([fItem])).to.deep.equal({ unknown: [] });
    expect(lstatSync(inBox('sub/dir/f')).ino).to.equal(oldIno);
    const reader = openSync(p('f'), 'r');
    rsyncWrites('sub/dir/f', 'new content');
    const want = committedOf(f, true, inBox('sub/dir/f'));
    expect(readFileSync(p('f'), 'utf8')).to.equal('old content'); // the live inode was not touched
    expect(await commit([fItem])).to.deep.equal({ committed: [want], missing: [], failures: [] });
    expect(readFileSync(p('f'), 'utf8')).to.equal('new content');
    expect(lstatSync(p('f')).ino).to.not.equal(oldIno);
    const buf = Buffer.alloc(64);
    expect(buf.toString('utf8', 0, readSync(reader, buf))).to.equal('old content');
    closeSync(reader);
    expect(readdirSync(staging)).to.deep.equal([]);
  });

  it('re-links every name of a hard-link group to the new content', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [
      ops.mkdir(d, ROOT_GFID, 'd'),
      ops.create(f, ROOT_GFID, 'a'),
      ops.link(f, d, 'b'),
      ops.link(f, ROOT_GFID, 'c'),
    ]);
    await stage([item(f, 'a')]);
    rsyncWrites('a', 'v2');
    expect((await commit([item(f, 'a')])).committed.map((c) => [c.gfid, c.replaced])).to.deep.equal([[f, true]]);
    const ino = lstatSync(p('a')).ino;
    for (const n of ['a', 'd/b', 'c'])
      expect([readFileSync(p(n), 'utf8'), lstatSync(p(n)).ino], n).to.deep.equal(['v2', ino]);
    expect(lstatSync(p('a')).nlink).to.equal(3);
    expect(readdirSync(a.root).filter((n) => n.startsWith('.georep-'))).to.deep.equal([]);
    expect(readdirSync(p('d'))).to.deep.equal(['b']);
  });

  it('leaves the times of every directory holding a replaced name as they were (a meta op may have set them already)', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, d, 'a'), ops.link(f, ROOT_GFID, 'c')]);
    const old = new Date('2001-02-03T04:05:06Z');
    for (const dir of [p('d'), a.root]) utimesSync(dir, old, old);
    await stage([item(f, 'd/a')]);
    rsyncWrites('d/a', 'v2');
    expect((await commit([item(f, 'd/a')])).committed.map((c) => c.replaced)).to.deep.equal([true]);
    expect(readFileSync(p('c'), 'utf8')).to.equal('v2');
    for (const dir of [p('d'), a.root]) expect(lstatSync(dir).mtimeMs, dir).to.equal(old.getTime());
  });

  it('keeps the inode when the content did not change (replaced false), and reports what was not staged', async () => {
    const f = newGfid();
    const g = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.create(g, ROOT_GFID, 'g')]);
    writeFileSync(p('f'), 'content');
    writeFileSync(p('g'), 'content');
    const ino = lstatSync(p('f')).ino;
    const items = [item(f, 'f'), item(g, 'g')];
    await stage(items);
    unlinkSync(inBox('g')); // rsync did not deliver g (vanished on the master)
    const want = committedOf(f, false, p('f'));
    expect(await commit(items)).to.deep.equal({ committed: [want], missing: [g], failures: [] });
    expect(lstatSync(p('f')).ino).to.equal(ino);
    expect(lstatSync(p('f')).nlink).to.equal(1);
    expect(readFileSync(p('g'), 'utf8')).to.equal('content');
  });

  it('stages no basis for an empty file (nothing to delta against), but makes its parent folders', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    await stage([item(f, 'x/y/f')]);
    expect(lstatSync(inBox('x/y')).isDirectory()).to.equal(true);
    expect(existsSync(inBox('x/y/f'))).to.equal(false);
  });

  it('reports unknown gfids, clears leftovers of the same box, stages no basis when asked not to', async () => {
    const f = newGfid();
    const stranger = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.mkdir(newGfid(), ROOT_GFID, 'd')]);
    writeFileSync(p('f'), 'live');
    mkdirSync(inBox('old'), { recursive: true });
    writeFileSync(inBox('old/leftover'), 'of a crashed box');
    const items = [item(f, 'f'), item(stranger, 's')];
    expect(await stage(items, false)).to.deep.equal({ unknown: [stranger] });
    expect(readdirSync(inBox(''))).to.deep.equal([]);
    rsyncWrites('f', 'whole file');
    rsyncWrites('s', 'data for nobody');
    const r = await commit(items);
    expect([r.committed.map((c) => c.gfid), r.failures.map((x) => [x.index, x.code])]).to.deep.equal([
      [f],
      [[1, 'GFID_UNKNOWN']],
    ]);
    expect(readFileSync(p('f'), 'utf8')).to.equal('whole file');
    expect(readdirSync(staging)).to.deep.equal([]);
  });

  it('recreates a live file that went missing on the slave, and refuses data for a directory', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.mkdir(d, ROOT_GFID, 'd')]);
    unlinkSync(p('f'));
    const items = [item(f, 'f'), item(d, 'd')];
    await stage(items, false);
    rsyncWrites('f', 'back');
    rsyncWrites('d', 'not a file');
    const r = await commit(items);
    expect([r.committed.map((c) => c.gfid), r.failures.map((x) => x.code)]).to.deep.equal([[f], ['ENTRY_CONFLICT']]);
    expect(readFileSync(p('f'), 'utf8')).to.equal('back');
    expect(lstatSync(p('d')).isDirectory()).to.equal(true);
  });

  it('neither stages from nor commits into a directory replaced by a symlink', async () => {
    const outside = makeTemp();
    writeFileSync(join(outside, 'f'), 'precious');
    const d = newGfid();
    const f = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, d, 'f')]);
    rmSync(p('d'), { recursive: true });
    symlinkSync(outside, p('d'));
    expect(await stage([item(f, 'd/f')])).to.deep.equal({ unknown: [] });
    expect(existsSync(inBox('d/f'))).to.equal(false);
    rsyncWrites('d/f', 'evil');
    const r = await commit([item(f, 'd/f')]);
    expect(r.failures.map((x) => x.code)).to.deep.equal(['PATH_ESCAPES_ROOT']);
    expect(readFileSync(join(outside, 'f'), 'utf8')).to.equal('precious');
  });

  it('reports a staged symlink or directory as missing and commits neither', async () => {
    const outside = makeTemp();
    writeFileSync(join(outside, 'secret'), 'not for the slave');
    const [f, g] = [newGfid(), newGfid()];
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.create(g, ROOT_GFID, 'g')]);
    writeFileSync(p('f'), 'f stays');
    writeFileSync(p('g'), 'g stays');
    const items = [item(f, 'f'), item(g, 'g')];
    await stage(items, false);
    // The master paths became a symlink and a directory while the engine ran (no -L, no -h).
    symlinkSync(join(outside, 'secret'), inBox('f'));
    mkdirSync(inBox('g/sub'), { recursive: true });
    expect(await commit(items)).to.deep.equal({ committed: [], missing: [f, g], failures: [] });
    expect([readFileSync(p('f'), 'utf8'), readFileSync(p('g'), 'utf8')]).to.deep.equal(['f stays', 'g stays']);
    expect([lstatSync(p('f')).isFile(), lstatSync(p('g')).isFile()]).to.deep.equal([true, true]);
    expect(readdirSync(staging)).to.deep.equal([]);
  });

  it('removes only its own box at commit, even an empty commit (after a fatal transfer); other boxes stay', async () => {
    const [f, g] = [newGfid(), newGfid()];
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.create(g, ROOT_GFID, 'g')]);
    await stage([item(f, 'f')], false, 'box-a');
    await stage([item(g, 'g')], false, 'box-b');
    expect(readdirSync(staging).sort()).to.deep.equal(['box-a', 'box-b']);
    rsyncWrites('f', 'never committed', 'box-a');
    expect(await commit([], 'box-a')).to.deep.equal({ committed: [], missing: [], failures: [] });
    expect(readdirSync(staging)).to.deep.equal(['box-b']);
    rsyncWrites('g', 'G', 'box-b');
    expect((await commit([item(g, 'g')], 'box-b')).committed.map((c) => c.gfid)).to.deep.equal([g]);
    expect(readdirSync(staging)).to.deep.equal([]);
    expect(lstatSync(p('f')).size).to.equal(0);
    expect(readFileSync(p('g'), 'utf8')).to.equal('G');
  });

  it('lands data on the slave names of the gfid: the master path only places the file in the box', async () => {
    const [f, d] = [newGfid(), newGfid()];
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'slave dir'), ops.create(f, d, 'slave name')]);
    writeFileSync(p('slave dir/slave name'), 'old');
    // A master path with a newline, a space and a byte that is not UTF-8, travelling escaped.
    const masterPath = Buffer.concat([Buffer.from('master dir/line\nbreak '), Buffer.of(0xff)]);
    const fItem = item(f, masterPath);
    expect(fItem.path).to.equal('master%20dir/line%0Abreak%20%FF');
    await stage([fItem]);
    const staged = Buffer.concat([Buffer.from(inBox('') + '/'), masterPath]);
    expect(lstatSync(staged).ino).to.equal(lstatSync(p('slave dir/slave name')).ino);
    const tmp = Buffer.concat([Buffer.from(inBox('master dir') + '/'), Buffer.from('.tmp')]);
    writeFileSync(tmp, 'new');
    renameSync(tmp, staged);
    expect((await commit([fItem])).committed.map((c) => c.gfid)).to.deep.equal([f]);
    expect(readFileSync(p('slave dir/slave name'), 'utf8')).to.equal('new');
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'slave dir']);
  });
});
