// Kept directories (ignore-deletes, keepDeleted on the op): a new entry at the name of a
// directory the slave keeps takes it over (MKDIR) or moves it aside; nothing kept is lost and
// nothing fails for ever. Without keepDeleted the ENOTEMPTY rule of entry-move.test.ts holds.

import { expect } from 'chai';
import { lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import type { EntryOp } from '../../src/slave/protocol.js';
import { ROOT_GFID, apply, at, newGfid, ops, useReadyAgent } from './harness.js';

/** The op as an ignore-deletes master sends it. */
const keep = <T extends EntryOp>(op: T): T => ({ ...op, keepDeleted: true });

describe('slave/kept directories (ignore-deletes)', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);
  const names = (rel: string) => readdirSync(p(rel)).sort();

  /** A directory `name` at the root holding a known file `f` ("kept") and a known empty dir `sub`. */
  async function keptDir(name: string): Promise<{ dir: Gfid; f: Gfid; sub: Gfid; ino: number }> {
    const [dir, f, sub] = [newGfid(), newGfid(), newGfid()];
    expect(
      await apply(a.client, [ops.mkdir(dir, ROOT_GFID, name), ops.create(f, dir, 'f'), ops.mkdir(sub, dir, 'sub')]),
    ).to.deep.equal([]);
    writeFileSync(p(`${name}/f`), 'kept');
    return { dir, f, sub, ino: lstatSync(p(`${name}/f`)).ino };
  }

  it('MKDIR of a new gfid over a kept non-empty directory takes it over: kept entries stay, known, and new ones arrive', async () => {
    const old = await keptDir('a');
    const [a2, fresh] = [newGfid(), newGfid()];
    expect(
      await apply(a.client, [keep(ops.mkdir(a2, ROOT_GFID, 'a', 0o40750)), keep(ops.create(fresh, a2, 'new'))]),
    ).to.deep.equal([]);
    expect(names('a')).to.deep.equal(['f', 'new', 'sub']);
    expect([lstatSync(p('a/f')).ino, readFileSync(p('a/f'), 'utf8')]).to.deep.equal([old.ino, 'kept']);
    expect(lstatSync(p('a')).mode & 0o7777).to.equal(0o750);
    // Known to the index under the new directory: an op naming a kept entry by gfid finds it
    // there, and a MKDIR of the kept subdirectory's gfid is present (no second copy is made).
    expect(
      await apply(a.client, [ops.mkdir(old.sub, a2, 'sub'), ops.rename(old.f, at(a2, 'f'), at(ROOT_GFID, 'moved'))]),
    ).to.deep.equal([]);
    expect([lstatSync(p('moved')).ino, names('a'), names('.')]).to.deep.equal([
      old.ino,
      ['new', 'sub'],
      ['.georep', 'a', 'moved'],
    ]);
    // The old gfid is forgotten: nothing names it any more.
    expect(await apply(a.client, [ops.rename(old.dir, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'z'))])).to.deep.equal([
      'GFID_UNKNOWN',
    ]);
  });

  it('without keepDeleted the MKDIR is refused ENOTEMPTY as before, nothing touched', async () => {
    const old = await keptDir('a');
    expect(await apply(a.client, [ops.mkdir(newGfid(), ROOT_GFID, 'a')])).to.deep.equal(['ENOTEMPTY']);
    expect([names('a'), lstatSync(p('a/f')).ino]).to.deep.equal([['f', 'sub'], old.ino]);
  });

  it('merges level by level: a new subdirectory takes over the kept one, a new file replaces a kept file of its name', async () => {
    const old = await keptDir('a');
    writeFileSync(p('a/sub/deep'), 'kept too');
    const deep = newGfid();
    expect(await apply(a.client, [ops.create(deep, old.sub, 'deep')])).to.deep.equal([]); // adopted: known
    const [a2, sub2, f2] = [newGfid(), newGfid(), newGfid()];
    expect(
      await apply(a.client, [
        keep(ops.mkdir(a2, ROOT_GFID, 'a')),
        keep(ops.mkdir(sub2, a2, 'sub')),
        keep(ops.create(f2, a2, 'f')),
      ]),
    ).to.deep.equal([]);
    expect([names('a'), names('a/sub'), readFileSync(p('a/sub/deep'), 'utf8')]).to.deep.equal([
      ['f', 'sub'],
      ['deep'],
      'kept too',
    ]);
    expect(readFileSync(p('a/f'), 'utf8')).to.equal(''); // the new file (its data comes with the batch's)
  });

  it('RENAME of a directory over a kept non-empty one moves the kept one aside, whole, still known', async () => {
    const old = await keptDir('d');
    const [e, ef] = [newGfid(), newGfid()];
    await apply(a.client, [ops.mkdir(e, ROOT_GFID, 'e'), ops.create(ef, e, 'ef')]);
    expect(await apply(a.client, [ops.rename(e, at(ROOT_GFID, 'e'), at(ROOT_GFID, 'd'))])).to.deep.equal(['ENOTEMPTY']);
    expect(await apply(a.client, [keep(ops.rename(e, at(ROOT_GFID, 'e'), at(ROOT_GFID, 'd')))])).to.deep.equal([]);
    const aside = `d.georep-kept-${old.dir.slice(0, 8)}`;
    expect(names('.')).to.deep.equal(['.georep', 'd', aside]);
    expect([names('d'), names(aside), lstatSync(p(`${aside}/f`)).ino]).to.deep.equal([['ef'], ['f', 'sub'], old.ino]);
    // Same gfids: a kept entry's own op finds it in the aside directory.
    expect(await apply(a.client, [ops.rename(old.f, at(old.dir, 'f'), at(ROOT_GFID, 'out'))])).to.deep.equal([]);
    expect(lstatSync(p('out')).ino).to.equal(old.ino);
  });

  it('a file, hard link, symlink or FIFO made at the name of a kept non-empty directory moves it aside; a second one takes -2', async () => {
    const first = await keptDir('x');
    expect(await apply(a.client, [keep(ops.create(newGfid(), ROOT_GFID, 'x'))])).to.deep.equal([]);
    const aside = `x.georep-kept-${first.dir.slice(0, 8)}`;
    expect([lstatSync(p('x')).isFile(), names(aside)]).to.deep.equal([true, ['f', 'sub']]);
    const linked = await keptDir('h');
    expect(await apply(a.client, [keep(ops.link(first.f, ROOT_GFID, 'h'))])).to.deep.equal([]);
    expect([lstatSync(p('h')).ino, names(`h.georep-kept-${linked.dir.slice(0, 8)}`)]).to.deep.equal([
      first.ino,
      ['f', 'sub'],
    ]);
    // A directory the index does not know, holding a local user's file: kept too.
    mkdirSync(p('y'));
    writeFileSync(p('y/local'), "a local user's");
    expect(await apply(a.client, [keep(ops.symlink(newGfid(), ROOT_GFID, 'y', 't'))])).to.deep.equal([]);
    expect([lstatSync(p('y')).isSymbolicLink(), names('y.georep-kept-local')]).to.deep.equal([true, ['local']]);
    // The aside name is taken: the next one is numbered.
    const second = await keptDir('w');
    mkdirSync(p(`w.georep-kept-${second.dir.slice(0, 8)}`));
    expect(await apply(a.client, [keep(ops.mknod(newGfid(), ROOT_GFID, 'w', 0o10644))])).to.deep.equal([]);
    expect([lstatSync(p('w')).isFIFO(), names(`w.georep-kept-${second.dir.slice(0, 8)}-2`)]).to.deep.equal([
      true,
      ['f', 'sub'],
    ]);
  });

  it('an empty directory is nothing to keep: it is replaced; a 255-byte name is cut to fit its aside name', async () => {
    await apply(a.client, [ops.mkdir(newGfid(), ROOT_GFID, 'empty')]);
    expect(await apply(a.client, [keep(ops.create(newGfid(), ROOT_GFID, 'empty'))])).to.deep.equal([]);
    expect([names('.'), lstatSync(p('empty')).isFile()]).to.deep.equal([['.georep', 'empty'], true]);
    const long = 'l'.repeat(255);
    const old = await keptDir(long);
    expect(await apply(a.client, [keep(ops.create(newGfid(), ROOT_GFID, long))])).to.deep.equal([]);
    const suffix = `.georep-kept-${old.dir.slice(0, 8)}`;
    expect(names(`${'l'.repeat(255 - suffix.length)}${suffix}`)).to.deep.equal(['f', 'sub']);
  });
});
