// SeedCopy with real GNU cp on a small tree: several cp processes over the top-level entries
// make a copy an independent walk finds equal (symlinks, modes, ns times, hard links within one
// top-level entry), the master's own .georep left out; a hard link between two cp processes
// comes out split, as seeding.ts expects (its LINK then goes as an entry op); non-UTF-8 names make it one cp of `root/.`; a failing cp is
// reported with its exit and stderr, not thrown. (The e2e oneshot-seed test runs it end to end.)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cpCommand, nameGroups, SeedCopy, sourceGroups } from '../../src/syncer/seed-copy.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

describe('syncer/SeedCopy', () => {
  let tmp: string;
  let master: string;
  let dest: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-seed-copy-'));
    master = path.join(tmp, 'master');
    dest = path.join(tmp, 'dest');
    fs.mkdirSync(dest);
    fs.mkdirSync(path.join(master, 'd', 'e'), { recursive: true });
    fs.writeFileSync(path.join(master, 'd', 'e', 'f'), 'deep');
    fs.linkSync(path.join(master, 'd', 'e', 'f'), path.join(master, 'd', 'f-link'));
    fs.writeFileSync(path.join(master, 'a'), 'a', { mode: 0o600 });
    fs.chmodSync(path.join(master, 'a'), 0o600);
    fs.linkSync(path.join(master, 'a'), path.join(master, 'd', 'a-link'));
    fs.symlinkSync('d/e/f', path.join(master, 'sym'));
    fs.writeFileSync(path.join(master, 'with space'), '');
    fs.mkdirSync(path.join(master, '.georep'));
    fs.writeFileSync(path.join(master, '.georep', 'state'), 'not replicated');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('copies the tree in several cp processes, equal by an independent walk but for split links', async () => {
    const r = await new SeedCopy().run({ sourceRoot: master, destDir: dest, jobs: 3, owners: false, xattrs: false });
    expect(r).to.include({ ok: true, why: '', processes: 3 });
    expect(fs.existsSync(path.join(dest, '.georep'))).to.equal(false);
    // the dest folder itself is not the copy's (its times are the seed folder's); .georep checked above
    const diffs = compareTrees(master, dest).filter((d) => d.path !== '.' && !d.path.startsWith('.georep'));
    // a and d/a-link went to two cp processes (groups [a, with space], [d], [sym]): split
    expect(
      diffs.map((d) => [d.path, d.what]),
      formatDifferences(diffs),
    ).to.deep.equal([
      ['a', 'hardlinks'],
      ['d/a-link', 'hardlinks'],
    ]);
    expect(fs.statSync(path.join(dest, 'd', 'e', 'f')).ino).to.equal(fs.statSync(path.join(dest, 'd', 'f-link')).ino);
  });

  it('groups the top-level names round robin, sorted by bytes, without .georep', () => {
    expect(nameGroups(master, 2).map((g) => g.map(String))).to.deep.equal([
      ['a', 'sym'],
      ['d', 'with space'],
    ]);
    expect(sourceGroups(master, 9)).to.have.length(4);
    fs.mkdirSync(path.join(tmp, 'empty'));
    expect(sourceGroups(path.join(tmp, 'empty'), 4)).to.deep.equal([]);
  });

  it('copies the whole root in one cp when a name is not UTF-8', () => {
    fs.writeFileSync(Buffer.from(`${master}/\xff`, 'latin1'), '');
    expect(sourceGroups(master, 4)).to.deep.equal([[`${master}/.`]]);
  });

  it('keeps owners and xattrs only when asked', () => {
    const preserve = (owners: boolean, xattrs: boolean) =>
      cpCommand({ destDir: dest, owners, xattrs }, ['x']).args.find((a) => a.startsWith('--preserve='));
    expect(preserve(false, false)).to.equal('--preserve=mode,timestamps,links');
    expect(preserve(true, true)).to.equal('--preserve=mode,timestamps,links,ownership,xattr');
  });

  it('reports a failing cp with its exit code and stderr instead of throwing', async () => {
    const r = await new SeedCopy().run({
      sourceRoot: master,
      destDir: path.join(tmp, 'no-such-dest'),
      jobs: 2,
      owners: false,
      xattrs: false,
    });
    expect(r.ok).to.equal(false);
    expect(r.why).to.match(/^cp exit code 1: /);
  });
});
