// RENAME, UNLINK, RMDIR resolved by gfid: results on disk, idempotent replay, replays after a
// crash left the index behind the disk.

import { expect } from 'chai';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import type { EntryOp } from '../../src/slave/protocol.js';
import { ROOT_GFID, apply, at, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave/entry ops: moving and removing', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  it('RENAME moves a file; replay is a no-op', async () => {
    const d = newGfid();
    const f = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, ROOT_GFID, 'a')]);
    const ino = lstatSync(p('a')).ino;
    const mv = ops.rename(f, at(ROOT_GFID, 'a'), at(d, 'b'));
    expect(await apply(a.client, [mv])).to.deep.equal([]);
    expect([existsSync(p('a')), lstatSync(p('d/b')).ino]).to.deep.equal([false, ino]);
    expect(await apply(a.client, [mv])).to.deep.equal([]);
    expect(lstatSync(p('d/b')).ino).to.equal(ino);
  });

  it('RENAME resolves by gfid: a stale source name renames the gfid from where it is now', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'a'), ops.rename(f, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b'))]);
    expect(await apply(a.client, [ops.rename(f, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'c'))])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'c']);
    expect(await apply(a.client, [ops.rename(newGfid(), at(ROOT_GFID, 'c'), at(ROOT_GFID, 'z'))])).to.deep.equal([
      'GFID_UNKNOWN',
    ]);
  });

  it('RENAME of a gfid the slave lacks still removes what it replaced at the target (not a directory holding entries), and fails', async () => {
    // The renamed gfid is synced again from where it is now, but no later record names the entry
    // it replaced: left, it stayed under completed checkpoints (live kill probe, 4 of 16 rounds).
    const [e, d, k] = [newGfid(), newGfid(), newGfid()];
    await apply(a.client, [ops.create(e, ROOT_GFID, 'T'), ops.mkdir(d, ROOT_GFID, 'D'), ops.create(k, d, 'kept')]);
    expect(
      await apply(a.client, [
        ops.rename(newGfid(), at(ROOT_GFID, 'X'), at(ROOT_GFID, 'T')),
        ops.rename(newGfid(), at(ROOT_GFID, 'Y'), at(ROOT_GFID, 'D')),
      ]),
    ).to.deep.equal(['GFID_UNKNOWN', 'GFID_UNKNOWN']);
    expect(existsSync(p('T'))).to.equal(false);
    expect(existsSync(p('D/kept'))).to.equal(true);
    // The index forgot it too: a later UNLINK of e there is a no-op, a CREATE there lands.
    expect(await apply(a.client, [ops.unlink(e, ROOT_GFID, 'T'), ops.create(newGfid(), ROOT_GFID, 'T')])).to.deep.equal(
      [],
    );
  });

  it('RENAME of a file missing from the slave disk moves its name and fails, so the master sends it again', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'a')]);
    rmSync(p('a')); // lost on the slave (or its data never landed before an agent restart)
    expect(await apply(a.client, [ops.rename(f, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b'))])).to.deep.equal(['ENOENT']);
    // The gfid now lives at the target: its CREATE is found present there and its data lands there.
    expect(await apply(a.client, [ops.create(f, ROOT_GFID, 'b')])).to.deep.equal([]);
    expect(existsSync(p('a'))).to.equal(false);
  });

  it('RENAME of a gfid the master has lost (gone): its names and what it replaced go; nothing unknown fails', async () => {
    const f = newGfid();
    const victim = newGfid();
    const d = newGfid();
    await apply(a.client, [
      ops.mkdir(d, ROOT_GFID, 'd'),
      ops.create(f, ROOT_GFID, 'a'),
      ops.create(f, d, 'hardlink'),
      ops.create(victim, ROOT_GFID, 'b'),
      ops.create(newGfid(), ROOT_GFID, 'keep'),
    ]);
    const gone = (g: Gfid, from: string, toDir: Gfid, to: string): EntryOp => ({
      ...ops.rename(g, at(ROOT_GFID, from), at(toDir, to)),
      gone: true,
    });
    // mv a b; rm b (on the master, before the worker read the changelog): its UNLINK names b only.
    expect(await apply(a.client, [gone(f, 'a', ROOT_GFID, 'b'), ops.unlink(f, ROOT_GFID, 'b')])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'd', 'keep']);
    expect(readdirSync(p('d'))).to.deep.equal([]);
    // Into a directory the slave never had, and of a gfid it never had: no-ops, and no failure.
    const g = newGfid();
    await apply(a.client, [ops.create(g, ROOT_GFID, 'x')]);
    expect(await apply(a.client, [gone(g, 'x', newGfid(), 'y'), gone(newGfid(), 'q', ROOT_GFID, 'z')])).to.deep.equal(
      [],
    );
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'd', 'keep']);
  });

  it('RENAME of a name onto itself (a resync) settles the gfid there: moved if elsewhere, other names dropped', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'old'), ops.create(f, ROOT_GFID, 'stale-link')]);
    const ino = lstatSync(p('old')).ino;
    expect(await apply(a.client, [ops.rename(f, at(ROOT_GFID, 'new'), at(ROOT_GFID, 'new'))])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'new']);
    expect(lstatSync(p('new')).ino).to.equal(ino);
    // A gfid the slave does not know: nothing to settle, and no failure (its CREATE follows).
    expect(await apply(a.client, [ops.rename(newGfid(), at(ROOT_GFID, 'x'), at(ROOT_GFID, 'x'))])).to.deep.equal([]);
  });

  it("RENAME onto itself with alsoNamed (a hard-linked file's resync) keeps those names and drops any other", async () => {
    // Seeded random live test, seed 947: a hard link's RENAME failed (GFID_UNKNOWN), its retry
    // made the new name, and the old one stayed on the slave beside the master's two.
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [
      ops.mkdir(d, ROOT_GFID, 'd'),
      ops.create(f, ROOT_GFID, 'one'),
      ops.create(f, d, 'two'),
      ops.create(f, ROOT_GFID, 'stale'),
    ]);
    const ino = lstatSync(p('one')).ino;
    const resync: EntryOp = {
      ...ops.rename(f, at(ROOT_GFID, 'one'), at(ROOT_GFID, 'one')),
      alsoNamed: [at(d, 'two')],
    } as EntryOp;
    expect(await apply(a.client, [resync])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'd', 'one']);
    expect(lstatSync(p('d/two')).ino).to.equal(ino);
    expect(lstatSync(p('one')).nlink).to.equal(2);
  });

  it('RENAME replaces whatever occupies the target, a non-empty directory included', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [
      ops.create(f, ROOT_GFID, 'f'),
      ops.mkdir(d, ROOT_GFID, 'd'),
      ops.create(newGfid(), ROOT_GFID, 'victim'),
    ]);
    mkdirSync(p('full/sub'), { recursive: true });
    expect(
      await apply(a.client, [
        ops.rename(f, at(ROOT_GFID, 'f'), at(ROOT_GFID, 'victim')),
        ops.rename(d, at(ROOT_GFID, 'd'), at(ROOT_GFID, 'full')),
      ]),
    ).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'full', 'victim']);
    expect(readdirSync(p('full'))).to.deep.equal([]);
  });

  it('never deletes a directory holding entries it knows to put another entry there: ENOTEMPTY, and the retry lands once they moved out', async () => {
    // The master: mv Y/c Z/c (Z new), mv X Y (over Y, now empty). The slave lacks Z, so c stays
    // in Y; replacing Y would take c and its subtree along (seeded random live test, seed 83).
    const [x, y, c, f, z] = [newGfid(), newGfid(), newGfid(), newGfid(), newGfid()];
    await apply(a.client, [
      ops.mkdir(x, ROOT_GFID, 'X'),
      ops.mkdir(y, ROOT_GFID, 'Y'),
      ops.mkdir(c, y, 'c'),
      ops.create(f, c, 'f'),
    ]);
    writeFileSync(p('Y/c/f'), 'kept');
    const ino = lstatSync(p('Y/c/f')).ino;
    expect(
      await apply(a.client, [
        ops.rename(c, at(y, 'c'), at(z, 'c')),
        ops.rename(x, at(ROOT_GFID, 'X'), at(ROOT_GFID, 'Y')),
      ]),
    ).to.deep.equal(['GFID_UNKNOWN', 'ENOTEMPTY']);
    expect(lstatSync(p('Y/c/f')).ino).to.equal(ino);
    // A MKDIR, CREATE or SYMLINK of another gfid there is refused alike; so is a retry's RENAME onto itself.
    expect(
      await apply(a.client, [
        ops.mkdir(newGfid(), ROOT_GFID, 'Y'),
        ops.create(newGfid(), ROOT_GFID, 'Y'),
        ops.symlink(newGfid(), ROOT_GFID, 'Y', 't'),
        ops.rename(x, at(ROOT_GFID, 'Y'), at(ROOT_GFID, 'Y')),
      ]),
    ).to.deep.equal(['ENOTEMPTY', 'ENOTEMPTY', 'ENOTEMPTY', 'ENOTEMPTY']);
    expect(lstatSync(p('Y/c/f')).ino).to.equal(ino);
    // The retries, parents first: Z is made, c settles there, then X lands on the empty Y.
    expect(
      await apply(a.client, [
        ops.mkdir(z, ROOT_GFID, 'Z'),
        ops.rename(c, at(z, 'c'), at(z, 'c')),
        ops.rename(x, at(ROOT_GFID, 'Y'), at(ROOT_GFID, 'Y')),
        ops.mkdir(x, ROOT_GFID, 'Y'),
      ]),
    ).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'Y', 'Z']);
    expect(readdirSync(p('Y'))).to.deep.equal([]);
    expect([lstatSync(p('Z/c/f')).ino, readFileSync(p('Z/c/f'), 'utf8')]).to.deep.equal([ino, 'kept']);
  });

  it('UNLINK or RMDIR gone drops every name of the gfid, so a copy left behind never blocks the directory it is in', async () => {
    // The master: mv Y/c Z/c (Z unknown here: c stays in Y), rm Z/c, mv X Y. The UNLINK names
    // Z/c only; with the copy left in Y, X could never replace Y (ENOTEMPTY at every retry).
    const [x, y, c, d, e, z] = [newGfid(), newGfid(), newGfid(), newGfid(), newGfid(), newGfid()];
    await apply(a.client, [
      ops.mkdir(x, ROOT_GFID, 'X'),
      ops.mkdir(y, ROOT_GFID, 'Y'),
      ops.create(c, y, 'c'),
      ops.create(c, ROOT_GFID, 'c-link'),
      ops.mkdir(d, y, 'd'),
      ops.create(e, d, 'e'),
      ops.create(newGfid(), ROOT_GFID, 'other'),
    ]);
    const gone = (op: EntryOp): EntryOp => ({ ...op, gone: true }) as EntryOp;
    expect(
      await apply(a.client, [
        ops.rename(c, at(y, 'c'), at(z, 'c')),
        ops.rename(d, at(y, 'd'), at(z, 'd')),
        gone(ops.unlink(c, z, 'c')),
        gone(ops.rmdir(d, z, 'd')),
        ops.rename(x, at(ROOT_GFID, 'X'), at(ROOT_GFID, 'Y')),
      ]),
    ).to.deep.equal(['GFID_UNKNOWN', 'GFID_UNKNOWN']);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'Y', 'other']);
    expect(readdirSync(p('Y'))).to.deep.equal([]);
    // Replayed, and of gfids the slave never had: no-ops.
    expect(await apply(a.client, [gone(ops.unlink(c, z, 'c')), gone(ops.rmdir(newGfid(), z, 'q'))])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'Y', 'other']);
  });

  it('replaces a known directory whose known entries are gone from its disk, or that holds only unknown ones', async () => {
    const [y, c, w] = [newGfid(), newGfid(), newGfid()];
    await apply(a.client, [ops.mkdir(y, ROOT_GFID, 'Y'), ops.create(c, y, 'c'), ops.mkdir(w, ROOT_GFID, 'W')]);
    rmSync(p('Y/c')); // lost on the slave: nothing left to keep
    writeFileSync(p('W/junk'), "a local user's"); // not the master's: goes as before
    const [d, e] = [newGfid(), newGfid()];
    expect(
      await apply(a.client, [
        ops.mkdir(d, ROOT_GFID, 'd'),
        ops.rename(d, at(ROOT_GFID, 'd'), at(ROOT_GFID, 'Y')),
        ops.create(e, ROOT_GFID, 'W'),
      ]),
    ).to.deep.equal([]);
    expect([lstatSync(p('Y')).isDirectory(), readdirSync(p('Y')), lstatSync(p('W')).isFile()]).to.deep.equal([
      true,
      [],
      true,
    ]);
  });

  it('RENAME of a directory carries its subtree; later ops resolve under the new path', async () => {
    const d = newGfid();
    const f = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'old'), ops.create(f, d, 'f')]);
    expect(
      await apply(a.client, [
        ops.rename(d, at(ROOT_GFID, 'old'), at(ROOT_GFID, 'new')),
        ops.create(newGfid(), d, 'g'),
        ops.link(f, d, 'f2'),
      ]),
    ).to.deep.equal([]);
    expect(readdirSync(p('new')).sort()).to.deep.equal(['f', 'f2', 'g']);
  });

  it('a replayed CREATE+RENAME leaves no stray hard link behind', async () => {
    const f = newGfid();
    const batch = [ops.create(f, ROOT_GFID, 'a'), ops.rename(f, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b'))];
    await apply(a.client, batch);
    expect(await apply(a.client, batch)).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'b']);
  });

  it('a replayed MKDIR+RENAME of a directory converges, contents kept', async () => {
    const d = newGfid();
    const f = newGfid();
    const batch = [
      ops.mkdir(d, ROOT_GFID, 'a'),
      ops.create(f, d, 'f'),
      ops.rename(d, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b')),
    ];
    expect(await apply(a.client, batch)).to.deep.equal([]);
    writeFileSync(p('b/f'), 'data');
    expect(await apply(a.client, batch)).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'b']);
    expect(readdirSync(p('b'))).to.deep.equal(['f']);
  });

  it('completes a rename the index missed (disk renamed, index not: a crash before commit)', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'a')]);
    renameSync(p('a'), p('b'));
    expect(
      await apply(a.client, [ops.rename(f, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b')), ops.link(f, ROOT_GFID, 'c')]),
    ).to.deep.equal([]);
    expect(lstatSync(p('c')).ino).to.equal(lstatSync(p('b')).ino);
  });

  it('UNLINK removes a name; replay and a name now holding another gfid are no-ops', async () => {
    const f = newGfid();
    const g = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.link(f, ROOT_GFID, 'f2')]);
    expect(await apply(a.client, [ops.unlink(f, ROOT_GFID, 'f')])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'f2']);
    expect(
      await apply(a.client, [
        ops.unlink(f, ROOT_GFID, 'f'),
        ops.create(g, ROOT_GFID, 'f'),
        ops.unlink(f, ROOT_GFID, 'f'),
      ]),
    ).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'f', 'f2']);
    expect(await apply(a.client, [ops.unlink(newGfid(), newGfid(), 'never')])).to.deep.equal([]);
  });

  it('RMDIR removes the directory with its whole subtree and forgets it; replay is a no-op', async () => {
    const d = newGfid();
    const sub = newGfid();
    const f = newGfid();
    await apply(a.client, [
      ops.mkdir(d, ROOT_GFID, 'd'),
      ops.mkdir(sub, d, 'sub'),
      ops.create(f, sub, 'f'),
      ops.create(newGfid(), ROOT_GFID, 'keep'),
    ]);
    await apply(a.client, [ops.link(f, ROOT_GFID, 'outside-link')]);
    writeFileSync(p('d/unknown'), 'x');
    const rm = ops.rmdir(d, ROOT_GFID, 'd');
    expect(await apply(a.client, [rm])).to.deep.equal([]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'keep', 'outside-link']);
    expect(await apply(a.client, [rm])).to.deep.equal([]);
    expect(await apply(a.client, [ops.create(newGfid(), sub, 'g')])).to.deep.equal(['GFID_UNKNOWN']);
    // A hard link outside the removed tree keeps its gfid.
    expect(await apply(a.client, [ops.link(f, ROOT_GFID, 'again')])).to.deep.equal([]);
  });
});
