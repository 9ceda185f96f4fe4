// AtFs, the agent's descriptor-relative calls (native/georep_fs.c): Node-style errors, nothing
// followed through a symlink, times set to the nanosecond before and after 1970.

import { expect } from 'chai';
import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError } from '../../src/errors.js';
import { loadAtFs } from '../../src/slave/fs-at.js';
import type { AtFs } from '../../src/slave/fs-at.js';
import { cleanupTemps, makeTemp } from './harness.js';

const b = (s: string | number[]): Buffer => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s));
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe('slave/fs-at', () => {
  let fs: AtFs;
  let dir: string;
  let dirFd: number;
  before(() => {
    fs = loadAtFs();
  });
  beforeEach(() => {
    dir = makeTemp();
    dirFd = fs.open(fs.c.AT_FDCWD, b(dir), fs.c.O_PATH | fs.c.O_DIRECTORY);
  });
  afterEach(() => {
    fs.close(dirFd);
    cleanupTemps();
  });

  it('fails like node:fs, with the errno name as code', () => {
    expect(codeOf(() => fs.open(dirFd, b('missing'), fs.c.O_PATH))).to.equal('ENOENT');
    expect(fs.statIfAny(dirFd, b('missing'))).to.equal(undefined);
    expect(codeOf(() => fs.mkdir(dirFd, b('a\0b'), 0o755))).to.equal('EINVAL');
    mkdirSync(join(dir, 'd'));
    expect(codeOf(() => fs.mkdir(dirFd, b('d'), 0o755))).to.equal('EEXIST');
    expect(codeOf(() => fs.rmdir(dirFd, b('missing')))).to.equal('ENOENT');
    expect(fs.unlinkIfAny(dirFd, b('missing'))).to.equal(false);
  });

  it('opens no directory through a symlink and stats a symlink itself', () => {
    symlinkSync(dir, join(dir, 'ln'));
    const flags = fs.c.O_PATH | fs.c.O_DIRECTORY | fs.c.O_NOFOLLOW;
    expect(codeOf(() => fs.open(dirFd, b('ln'), flags))).to.equal('ENOTDIR');
    expect(fs.stat(dirFd, b('ln')).type).to.equal('symlink');
    expect(fs.readlink(dirFd, b('ln')).toString()).to.equal(dir);
    expect(fs.stat(dirFd, b('')).type).to.equal('dir');
  });

  it('changes mode, owner and times of a symlink’s own inode only; chmod refuses a symlink', () => {
    writeFileSync(join(dir, 'target'), 'x', { mode: 0o600 });
    symlinkSync('target', join(dir, 'ln'));
    const before = lstatSync(join(dir, 'target'), { bigint: true });
    expect(codeOf(() => fs.chmod(dirFd, b('ln'), 0o777))).to.equal('ENOTSUP'); // EOPNOTSUPP, which Node names ENOTSUP (the same errno on Linux)
    if (process.getuid?.() === 0) fs.chown(dirFd, b('ln'), 4321, 4321);
    fs.utimes(dirFd, b('ln'), { sec: 5, nsec: 6 }, { sec: 7, nsec: 8 });
    const after = lstatSync(join(dir, 'target'), { bigint: true });
    expect([after.mode, after.uid, after.mtimeNs]).to.deep.equal([before.mode, before.uid, before.mtimeNs]);
    expect(lstatSync(join(dir, 'ln'), { bigint: true }).mtimeNs).to.equal(7_000_000_008n);
    fs.chmod(dirFd, b('target'), 0o640);
    expect(lstatSync(join(dir, 'target')).mode & 0o7777).to.equal(0o640);
  });

  it('chmod’s fallback for kernels before 6.6 (/proc/self/fd) acts alike', () => {
    writeFileSync(join(dir, 'target'), 'x', { mode: 0o600 });
    symlinkSync('target', join(dir, 'ln'));
    expect(codeOf(() => fs.chmodViaProc(dirFd, b('ln'), 0o777))).to.equal('ENOTSUP');
    expect(lstatSync(join(dir, 'target')).mode & 0o7777).to.equal(0o600);
    fs.chmodViaProc(dirFd, b('target'), 0o4640);
    expect(lstatSync(join(dir, 'target')).mode & 0o7777).to.equal(0o4640);
    const fd = fs.open(dirFd, b('target'), fs.c.O_PATH | fs.c.O_NOFOLLOW);
    fs.chmodViaProc(fd, b(''), 0o604);
    fs.close(fd);
    expect(lstatSync(join(dir, 'target')).mode & 0o7777).to.equal(0o604);
  });

  it('sets times to the nanosecond, before 1970 too, on a file, a directory and the descriptor itself', () => {
    writeFileSync(join(dir, 'f'), 'x');
    mkdirSync(join(dir, 'd'));
    const atime = { sec: -1, nsec: 999_999_999 };
    const mtime = { sec: -2_000_000_000, nsec: 1 };
    fs.utimes(dirFd, b('f'), atime, mtime);
    fs.utimes(dirFd, b('d'), { sec: 1_700_000_000, nsec: 123_456_789 }, { sec: 1_600_000_000, nsec: 987_654_321 });
    fs.utimes(dirFd, b(''), atime, { sec: 4_000_000_000, nsec: 999_999_999 });
    const st = (rel: string) => lstatSync(join(dir, rel), { bigint: true });
    expect([st('f').atimeNs, st('f').mtimeNs]).to.deep.equal([-1n, -1_999_999_999_999_999_999n]);
    expect([st('d').atimeNs, st('d').mtimeNs]).to.deep.equal([1_700_000_000_123_456_789n, 1_600_000_000_987_654_321n]);
    expect(st('').mtimeNs).to.equal(4_000_000_000_999_999_999n);
    expect(fs.stat(dirFd, b('f')).mtimeNs).to.equal(-1_999_999_999_999_999_999n);
  });

  it('lists names as bytes, not UTF-8 text', () => {
    const odd = b([0x66, 0xff, 0x0a, 0x80]);
    fs.mkdir(dirFd, odd, 0o755);
    writeFileSync(join(dir, 'plain'), '');
    expect(
      fs
        .readdir(dirFd)
        .map((n) => n.toString('hex'))
        .sort(),
    ).to.deep.equal([odd.toString('hex'), b('plain').toString('hex')].sort());
  });

  it('names NATIVE_MISSING and what to run when the addon is not built', () => {
    let err: unknown;
    try {
      loadAtFs(join(makeTemp(), 'georep_fs.node'));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(GeorepError).with.property('code', 'NATIVE_MISSING');
    expect((err as Error).message).to.include('npm run setup');
  });
});
