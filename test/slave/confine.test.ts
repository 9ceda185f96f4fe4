// Confinement to the slave root: hostile names, the reserved .georep, symlinks planted on the
// slave in place of directories, names that are not UTF-8.

import { expect } from 'chai';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError } from '../../src/errors.js';
import { RawWire, ROOT_GFID, apply, at, helloParams, makeTemp, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave/confine', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  it('refuses hostile names: the client before sending, the agent on receipt', async () => {
    for (const name of ['..', '.', 'a/b', 'nul\0byte', '']) {
      const err = await a.client
        .call('entryOps', { ops: [ops.create(newGfid(), ROOT_GFID, name)] })
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(name)).to.be.instanceOf(GeorepError).with.property('code', 'BAD_NAME');
    }
    const raw = new RawWire(a.root + '-raw');
    raw.request(1, 'hello', helloParams());
    await raw.reply();
    for (const [i, name] of ['..', '.', '%2F', 'a%00', ''].entries()) {
      raw.request(2 + i, 'entryOps', {
        ops: [{ ...ops.create(newGfid(), ROOT_GFID, 'x'), entry: { pargfid: ROOT_GFID, name } }],
      });
      expect((await raw.reply()).error?.code, name).to.equal('BAD_NAME');
    }
    raw.toAgent.end();
    await raw.done;
  });

  it('reserves .georep at the root (BAD_NAME) but not deeper', async () => {
    const d = newGfid();
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    expect(
      await apply(a.client, [
        ops.create(newGfid(), ROOT_GFID, '.georep'),
        ops.mkdir(newGfid(), ROOT_GFID, '.georep'),
        ops.rename(f, at(ROOT_GFID, 'f'), at(ROOT_GFID, '.georep')),
        ops.mkdir(d, ROOT_GFID, 'd'),
        ops.mkdir(newGfid(), d, '.georep'),
      ]),
    ).to.deep.equal(['BAD_NAME', 'BAD_NAME', 'BAD_NAME']);
    expect(existsSync(p('.georep/index.db'))).to.equal(true);
    expect(lstatSync(p('d/.georep')).isDirectory()).to.equal(true);
  });

  it('never gives the root gfid a name, nor moves or removes it', async () => {
    const keep = newGfid();
    await apply(a.client, [ops.create(keep, ROOT_GFID, 'keep')]);
    const codes = await apply(a.client, [
      ops.mkdir(ROOT_GFID, ROOT_GFID, 'r'),
      ops.create(ROOT_GFID, ROOT_GFID, 'c'),
      ops.symlink(ROOT_GFID, ROOT_GFID, 's', 'keep'),
      ops.mknod(ROOT_GFID, ROOT_GFID, 'n', 0o10644),
      ops.link(ROOT_GFID, ROOT_GFID, 'l'),
      ops.rename(ROOT_GFID, at(ROOT_GFID, 'r'), at(ROOT_GFID, 'r2')),
      ops.rmdir(ROOT_GFID, ROOT_GFID, 'r'),
      ops.unlink(ROOT_GFID, ROOT_GFID, 'keep'),
    ]);
    expect(codes).to.deep.equal(Array(8).fill('ENTRY_CONFLICT'));
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'keep']);
    expect((await a.client.call('purgeUnknown', { dirs: [ROOT_GFID] })).removed).to.equal(0);
  });

  it('never goes through a symlink planted in place of a slave directory', async () => {
    const outside = makeTemp();
    writeFileSync(join(outside, 'f'), 'precious');
    const d = newGfid();
    const f = newGfid();
    const mine = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, d, 'f'), ops.create(mine, ROOT_GFID, 'mine')]);
    rmSync(p('d'), { recursive: true });
    symlinkSync(outside, p('d'));
    const codes = await apply(a.client, [
      ops.create(newGfid(), d, 'new'),
      ops.mkdir(newGfid(), d, 'newdir'),
      ops.symlink(newGfid(), d, 'ln', '/etc'),
      ops.unlink(f, d, 'f'),
      ops.rename(mine, at(ROOT_GFID, 'mine'), at(d, 'moved')),
      ops.link(mine, d, 'hard'),
    ]);
    expect(codes).to.deep.equal(Array(6).fill('PATH_ESCAPES_ROOT'));
    const meta = { gfid: f, mode: 0o777, uid: 0, gid: 0, atime: { sec: 0, nsec: 0 }, mtime: { sec: 0, nsec: 0 } };
    expect((await a.client.call('metaOps', { ops: [meta] })).failures.map((x) => x.code)).to.deep.equal([
      'PATH_ESCAPES_ROOT',
    ]);
    expect(readdirSync(outside)).to.deep.equal(['f']);
    expect(lstatSync(join(outside, 'f')).mode & 0o777).to.not.equal(0o777);
    expect(existsSync(p('mine'))).to.equal(true);
  });

  it('removes a planted symlink itself, never its target', async () => {
    const outside = makeTemp();
    writeFileSync(join(outside, 'keep'), 'x');
    symlinkSync(outside, p('occupied'));
    const d = newGfid();
    expect(
      await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'occupied'), ops.create(newGfid(), d, 'inside')]),
    ).to.deep.equal([]);
    expect(lstatSync(p('occupied')).isDirectory()).to.equal(true);
    expect(readdirSync(outside)).to.deep.equal(['keep']);
    // A symlink inside a removed tree is unlinked, not followed.
    symlinkSync(outside, p('occupied/link'));
    expect(await apply(a.client, [ops.rmdir(d, ROOT_GFID, 'occupied')])).to.deep.equal([]);
    expect(readdirSync(outside)).to.deep.equal(['keep']);
  });

  it('handles names that are not UTF-8, with spaces, newlines and percent signs', async () => {
    const bin = Buffer.from([0x66, 0xff, 0xfe, 0x80]);
    const odd = Buffer.from('a b\nc%41\u00e9');
    const d = newGfid();
    const f = newGfid();
    expect(
      await apply(a.client, [
        ops.mkdir(d, ROOT_GFID, bin),
        ops.create(f, d, odd),
        ops.create(newGfid(), d, Buffer.concat([bin, bin])),
      ]),
    ).to.deep.equal([]);
    const dirAbs = Buffer.concat([Buffer.from(a.root + '/'), bin]);
    const names = readdirSync(dirAbs, { encoding: 'buffer' });
    expect(names.map((n) => n.toString('hex')).sort()).to.deep.equal(
      [odd.toString('hex'), Buffer.concat([bin, bin]).toString('hex')].sort(),
    );
    expect(await apply(a.client, [ops.rename(f, at(d, odd), at(ROOT_GFID, bin.subarray(1)))])).to.deep.equal([]);
    expect(lstatSync(Buffer.concat([Buffer.from(a.root + '/'), bin.subarray(1)])).isFile()).to.equal(true);
    expect(await apply(a.client, [ops.rmdir(d, ROOT_GFID, bin)])).to.deep.equal([]);
    expect(
      readdirSync(a.root, { encoding: 'buffer' })
        .map((n) => n.toString('hex'))
        .sort(),
    ).to.deep.equal([Buffer.from('.georep').toString('hex'), bin.subarray(1).toString('hex')].sort());
  });

  it('treats a directory renamed on the slave behind its back as missing (ENOENT), not followed', async () => {
    const d = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd')]);
    renameSync(p('d'), p('elsewhere'));
    mkdirSync(p('d2'));
    expect(await apply(a.client, [ops.create(newGfid(), d, 'f')])).to.deep.equal(['ENOENT']);
  });
});
