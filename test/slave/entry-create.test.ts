// Creating entry ops (CREATE, MKDIR, MKNOD, SYMLINK, LINK): results on disk, idempotent replay,
// adoption of pre-seeded entries, replacement of conflicting ones.

import { expect } from 'chai';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ROOT_GFID, apply, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave/entry ops: creating', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  it('CREATE makes an empty file with the exact mode (umask and setuid included) and owner; replay is a no-op', async () => {
    const f = newGfid();
    const g = newGfid();
    const op = { ...ops.create(f, ROOT_GFID, 'f', 0o104777), uid: 1234, gid: 5678 };
    expect(await apply(a.client, [op, ops.create(g, ROOT_GFID, 'g', 0o100600)])).to.deep.equal([]);
    const st = lstatSync(p('f'));
    expect([st.isFile(), st.size, st.mode & 0o7777, st.uid, st.gid]).to.deep.equal([true, 0, 0o4777, 1234, 5678]);
    expect(lstatSync(p('g')).mode & 0o7777).to.equal(0o600);
    expect(await apply(a.client, [op])).to.deep.equal([]);
    expect(lstatSync(p('f')).ino).to.equal(st.ino);
  });

  it('a CREATE or MKDIR the index says is present, but whose entry is gone from the disk, makes it again', async () => {
    // Seeded random live test (seed 83, under load): the slave index held names whose entries
    // were gone from disk; every retry of the master found them "present" and did nothing, the
    // ledger emptied and a checkpoint completed with 38 entries missing on the slave.
    const d = newGfid();
    const f = newGfid();
    const inner = newGfid();
    const batch = [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, ROOT_GFID, 'f'), ops.create(inner, d, 'inner')];
    expect(await apply(a.client, batch)).to.deep.equal([]);
    rmSync(p('d'), { recursive: true });
    rmSync(p('f'));
    expect(await apply(a.client, batch)).to.deep.equal([]);
    expect([
      lstatSync(p('d')).isDirectory(),
      lstatSync(p('f')).isFile(),
      lstatSync(p('d/inner')).isFile(),
    ]).to.deep.equal([true, true, true]);
  });

  it("never adopts a file at a CREATE's place that is a hard link to something else: it is replaced, the other file untouched", async () => {
    const outside = join(a.root, '..', 'outside-secret');
    writeFileSync(outside, 'secret', { mode: 0o600 });
    linkSync(outside, p('f')); // a local user's link into the slave tree
    const before = lstatSync(outside);
    expect(await apply(a.client, [ops.create(newGfid(), ROOT_GFID, 'f', 0o100666)])).to.deep.equal([]);
    const after = lstatSync(outside);
    expect([after.mode & 0o7777, after.nlink, readFileSync(outside, 'utf8')]).to.deep.equal([0o600, 1, 'secret']);
    expect(after.ino).to.equal(before.ino);
    const made = lstatSync(p('f'));
    expect([made.ino === before.ino, made.mode & 0o7777, made.size]).to.deep.equal([false, 0o666, 0]);
  });

  it('MKDIR makes a directory with its mode; replay is a no-op; children go under it', async () => {
    const d = newGfid();
    expect(await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd', 0o40705), ops.create(newGfid(), d, 'f')])).to.deep.equal(
      [],
    );
    const st = lstatSync(p('d'));
    expect([st.isDirectory(), st.mode & 0o7777]).to.deep.equal([true, 0o705]);
    expect(await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd', 0o40705)])).to.deep.equal([]);
    expect(readdirSync(p('d'))).to.deep.equal(['f']);
  });

  it('MKNOD makes FIFOs and (as root) devices, treats S_IFREG as CREATE, skips sockets; replay is a no-op', async () => {
    const fifo = ops.mknod(newGfid(), ROOT_GFID, 'fifo', 0o10640);
    const dev = ops.mknod(newGfid(), ROOT_GFID, 'null', 0o20666, 0x103); // major 1, minor 3
    const reg = ops.mknod(newGfid(), ROOT_GFID, 'reg', 0o100600);
    const sock = ops.mknod(newGfid(), ROOT_GFID, 'sock', 0o140755);
    expect(await apply(a.client, [fifo, dev, reg, sock])).to.deep.equal([]);
    expect(lstatSync(p('fifo')).isFIFO()).to.equal(true);
    expect(lstatSync(p('fifo')).mode & 0o7777).to.equal(0o640);
    const st = lstatSync(p('null'));
    expect([st.isCharacterDevice(), st.rdev]).to.deep.equal([true, 0x103]);
    expect(lstatSync(p('reg')).isFile()).to.equal(true);
    expect(readdirSync(a.root)).to.not.include('sock');
    expect(await apply(a.client, [fifo, dev, reg, sock])).to.deep.equal([]);
  });

  it('SYMLINK makes a link whose target may dangle, never followed; replay is a no-op', async () => {
    const s = ops.symlink(newGfid(), ROOT_GFID, 'ln', '../../outside/nowhere');
    expect(await apply(a.client, [s])).to.deep.equal([]);
    expect(readlinkSync(p('ln'))).to.equal('../../outside/nowhere');
    expect(await apply(a.client, [s])).to.deep.equal([]);
  });

  it('LINK adds a hard link to a known gfid; CREATE of a gfid known elsewhere does too; unknown gfid fails GFID_UNKNOWN', async () => {
    const f = newGfid();
    expect(
      await apply(a.client, [
        ops.create(f, ROOT_GFID, 'a'),
        ops.link(f, ROOT_GFID, 'b'),
        ops.create(f, ROOT_GFID, 'c'),
      ]),
    ).to.deep.equal([]);
    const ino = lstatSync(p('a')).ino;
    expect([lstatSync(p('b')).ino, lstatSync(p('c')).ino, lstatSync(p('a')).nlink]).to.deep.equal([ino, ino, 3]);
    expect(await apply(a.client, [ops.link(f, ROOT_GFID, 'b')])).to.deep.equal([]);
    expect(await apply(a.client, [ops.link(newGfid(), ROOT_GFID, 'x')])).to.deep.equal(['GFID_UNKNOWN']);
  });

  it('reports a failing op and goes on with the next', async () => {
    const { failures } = await a.client.call('entryOps', {
      ops: [ops.create(newGfid(), newGfid(), 'orphan'), ops.create(newGfid(), ROOT_GFID, 'ok')],
    });
    expect(failures.map((f) => [f.index, f.code])).to.deep.equal([[0, 'GFID_UNKNOWN']]);
    expect(readdirSync(a.root)).to.include('ok');
  });

  it('adopts a pre-seeded file or directory of the same type, keeping its content', async () => {
    writeFileSync(p('seeded'), 'old content');
    mkdirSync(p('dir'));
    writeFileSync(p('dir/child'), 'kept');
    const ino = lstatSync(p('seeded')).ino;
    const d = newGfid();
    expect(
      await apply(a.client, [ops.create(newGfid(), ROOT_GFID, 'seeded', 0o100640), ops.mkdir(d, ROOT_GFID, 'dir')]),
    ).to.deep.equal([]);
    expect([
      lstatSync(p('seeded')).ino,
      readFileSync(p('seeded'), 'utf8'),
      lstatSync(p('seeded')).mode & 0o777,
    ]).to.deep.equal([ino, 'old content', 0o640]);
    expect(readFileSync(p('dir/child'), 'utf8')).to.equal('kept');
    expect(await apply(a.client, [ops.create(newGfid(), d, 'new')])).to.deep.equal([]);
  });

  it('replaces an occupant of another type or another gfid', async () => {
    mkdirSync(p('was-dir/deep'), { recursive: true });
    writeFileSync(p('was-dir/deep/f'), 'x');
    writeFileSync(p('was-file'), 'x');
    const other = newGfid();
    await apply(a.client, [ops.create(other, ROOT_GFID, 'taken')]);
    const mine = newGfid();
    expect(
      await apply(a.client, [
        ops.create(newGfid(), ROOT_GFID, 'was-dir'),
        ops.mkdir(newGfid(), ROOT_GFID, 'was-file'),
        ops.symlink(mine, ROOT_GFID, 'taken', 't'),
      ]),
    ).to.deep.equal([]);
    expect([
      lstatSync(p('was-dir')).isFile(),
      lstatSync(p('was-file')).isDirectory(),
      lstatSync(p('taken')).isSymbolicLink(),
    ]).to.deep.equal([true, true, true]);
    // The replaced gfid is forgotten: a LINK to it fails.
    expect(await apply(a.client, [ops.link(other, ROOT_GFID, 'again')])).to.deep.equal(['GFID_UNKNOWN']);
  });
});
