// keepDirTimes through the agent's real *at calls: the agent's own housekeeping in a folder
// (an entry made, an entry removed) leaves the folder's atime and mtime as they were, to the
// nanosecond; what the callback returns or throws comes through.

import fs from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { keepDirTimes } from '../../src/slave/dir-times.js';
import { loadAtFs } from '../../src/slave/fs-at.js';
import type { AtFs } from '../../src/slave/fs-at.js';
import { setTimesNs, timeOfNs } from '../support/tree-bytes.js';
import { cleanupTemps, makeTemp } from './harness.js';

const AT = 1_600_000_000_123_456_789n;

describe('slave/keepDirTimes', () => {
  let at: AtFs;
  let dir: string;
  let dirFd: number;
  before(() => {
    at = loadAtFs();
  });
  beforeEach(() => {
    dir = makeTemp();
    fs.writeFileSync(join(dir, 'old'), '');
    setTimesNs(Buffer.from(dir), timeOfNs(AT)); // GNU touch: utimensat, to the ns
    dirFd = at.open(at.c.AT_FDCWD, Buffer.from(dir), at.c.O_PATH | at.c.O_DIRECTORY);
  });
  afterEach(() => {
    at.close(dirFd);
    cleanupTemps();
  });
  const times = () => {
    const st = fs.statSync(dir, { bigint: true });
    return [st.atimeNs, st.mtimeNs];
  };

  it('puts the times back after an entry is made, one removed and the folder read', () => {
    const r = keepDirTimes(at, dirFd, () => {
      at.mkdir(dirFd, Buffer.from('.georep'), 0o700);
      fs.unlinkSync(join(dir, 'old'));
      fs.readdirSync(dir); // moves the atime too (relatime: the atime is years old)
      return 'done';
    });
    expect(r).to.equal('done');
    expect(fs.existsSync(join(dir, '.georep'))).to.equal(true);
    expect(times()).to.deep.equal([AT, AT]);
  });

  it('touches nothing when nothing moved the mtime (the ctime stays too)', () => {
    const ctime = fs.statSync(dir, { bigint: true }).ctimeNs;
    keepDirTimes(at, dirFd, () => undefined);
    expect(times()).to.deep.equal([AT, AT]);
    expect(fs.statSync(dir, { bigint: true }).ctimeNs).to.equal(ctime);
  });

  it('lets an error of the callback through', () => {
    expect(() =>
      keepDirTimes(at, dirFd, () => {
        throw new RangeError('boom');
      }),
    ).to.throw(RangeError);
  });
});
