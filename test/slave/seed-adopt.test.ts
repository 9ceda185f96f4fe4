// Seed copy on the slave: seedBegin only into an empty slave, seedCommit moves the copy into
// the root, adopt records a gfid only for an entry that is what the master saw.

import { expect } from 'chai';
import { linkSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdoptItem } from '../../src/slave/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { ROOT_GFID, apply, at, newGfid, ops, useReadyAgent, wire } from './harness.js';

describe('slave/seed and adopt', () => {
  const a = useReadyAgent();

  /** What the master would offer for the entry now at `rel` in the slave root. */
  const offer = (gfid: Gfid, parent: Gfid, rel: string, kind: AdoptItem['kind']): AdoptItem => {
    const st = lstatSync(join(a.root, rel), { bigint: true });
    const sec = st.mtimeNs / 1_000_000_000n;
    const name = rel.split('/').at(-1) ?? rel;
    return {
      gfid,
      entry: at(parent, name),
      kind,
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: Number(st.size),
      mtime: { sec: Number(sec), nsec: Number(st.mtimeNs - sec * 1_000_000_000n) },
      rdev: Number(st.rdev),
    };
  };

  /** Seeds the slave with `fill` (run on the seed folder) and commits it. */
  const seed = async (fill: (dir: string) => void): Promise<void> => {
    const { dir } = await a.client.call('seedBegin', {});
    expect(dir).to.be.a('string');
    fill(dir as string);
    await a.client.call('seedCommit', {});
  };

  it('begins only on an empty slave, and never hands out the root itself', async () => {
    const first = await a.client.call('seedBegin', {});
    expect(first.dir).to.equal(join(a.root, '.georep', 'seed'));
    await a.client.call('seedAbort', {});
    writeFileSync(join(a.root, 'stray'), 'x');
    const second = await a.client.call('seedBegin', {});
    expect(second).to.deep.equal({ dir: null, reason: 'the slave root already holds 1 entries' });
  });

  it('refuses to begin once the index holds entries', async () => {
    await apply(a.client, [ops.mkdir(newGfid(), ROOT_GFID, 'd')]);
    const r = await a.client.call('seedBegin', {});
    expect(r.dir).to.equal(null);
    expect(r.reason).to.include('already holds replicated entries');
  });

  it('moves the copy into the root, drops a copied .georep, and adopts only after the commit', async () => {
    const { dir } = await a.client.call('seedBegin', {});
    writeFileSync(join(dir as string, 'f'), 'data');
    mkdirSync(join(dir as string, '.georep'));
    const early = await a.client.call('adopt', { items: [] }).catch((e: unknown) => e);
    expect(String(early)).to.match(/only after a seed copy/);
    expect(await a.client.call('seedCommit', {})).to.deep.equal({ moved: 1 });
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'f']);
    expect(readdirSync(join(a.root, '.georep'))).to.not.include('seed');
  });

  it('adopts what matches and leaves what differs', async () => {
    await seed((dir) => {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 'same'), 'same');
      writeFileSync(join(dir, 'd', 'changed'), 'old');
      linkSync(join(dir, 'd', 'same'), join(dir, 'd', 'same-link'));
      writeFileSync(join(dir, 'd', 'split-link'), 'same'); // a copy, not a link
      symlinkSync('target', join(dir, 'd', 'sym'));
      symlinkSync('elsewhere', join(dir, 'd', 'sym-moved'));
    });
    const [d, same, changed, sym, symMoved, orphan] = [
      newGfid(),
      newGfid(),
      newGfid(),
      newGfid(),
      newGfid(),
      newGfid(),
    ];
    const items: AdoptItem[] = [
      offer(d, ROOT_GFID, 'd', 'dir'),
      offer(same, d, 'd/same', 'file'),
      { ...offer(changed, d, 'd/changed', 'file'), size: 7 }, // the master has other content
      { ...offer(same, d, 'd/same-link', 'link') },
      { ...offer(same, d, 'd/split-link', 'link') },
      { ...offer(sym, d, 'd/sym', 'symlink'), target: wire('target') },
      { ...offer(symMoved, d, 'd/sym-moved', 'symlink'), target: wire('target') },
      { ...offer(orphan, newGfid(), 'd/same', 'file') }, // a parent the slave does not know
      { ...offer(newGfid(), d, 'd/same', 'file') }, // a place already adopted for another gfid
    ];
    const r = await a.client.call('adopt', { items });
    expect(r.adopted).to.deep.equal([0, 1, 3, 5]);
    // What was not adopted is unknown to the slave index: the purge takes what no op replaces.
    const purged = await a.client.call('purgeUnknown', { dirs: [d] });
    expect(purged.removed).to.equal(3);
    expect(readdirSync(join(a.root, 'd')).sort()).to.deep.equal(['same', 'same-link', 'sym']);
  });

  it('compares a file to the nanosecond and its permission bits', async () => {
    await seed((dir) => writeFileSync(join(dir, 'f'), 'x', { mode: 0o644 }));
    const base = offer(newGfid(), ROOT_GFID, 'f', 'file');
    const later = { ...base, gfid: newGfid(), mtime: { ...base.mtime, nsec: (base.mtime.nsec + 1) % 1e9 } };
    const mode = { ...base, gfid: newGfid(), mode: (base.mode & ~0o777) | 0o600 };
    expect((await a.client.call('adopt', { items: [later, mode, base] })).adopted).to.deep.equal([2]);
  });
});
