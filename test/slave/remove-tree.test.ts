// removeTree: rm -rf by descriptor. A subdirectory a local user swaps for a symlink while the
// removal runs (after its parent was listed, before it is entered) is unlinked, never entered.

import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAtFs } from '../../src/slave/fs-at.js';
import type { AtFs } from '../../src/slave/fs-at.js';
import { removeTree } from '../../src/slave/remove-tree.js';
import { cleanupTemps, makeTemp } from './harness.js';

describe('slave/remove-tree', () => {
  let fs: AtFs;
  let dir: string;
  let dirFd: number;
  before(() => {
    fs = loadAtFs();
  });
  beforeEach(() => {
    dir = makeTemp();
    dirFd = fs.open(fs.c.AT_FDCWD, Buffer.from(dir), fs.c.O_PATH | fs.c.O_DIRECTORY);
  });
  afterEach(() => {
    fs.close(dirFd);
    cleanupTemps();
  });

  it('removes a whole tree with odd names and symlinks (the links, not their targets); a missing name is no error', () => {
    const outside = makeTemp();
    writeFileSync(join(outside, 'keep'), 'x');
    const odd = Buffer.concat([Buffer.from(join(dir, 'v/')), Buffer.from([0x66, 0xff, 0x0a])]);
    mkdirSync(join(dir, 'v/a/b/c'), { recursive: true });
    writeFileSync(join(dir, 'v/a/b/c/f'), 'x');
    writeFileSync(odd, 'x');
    symlinkSync(outside, join(dir, 'v/a/ln'));
    removeTree(fs, dirFd, Buffer.from('v'));
    removeTree(fs, dirFd, Buffer.from('v'));
    writeFileSync(join(dir, 'file'), 'x');
    removeTree(fs, dirFd, Buffer.from('file'));
    expect(readdirSync(dir)).to.deep.equal([]);
    expect(readdirSync(outside)).to.deep.equal(['keep']);
  });

  it('never enters a subdirectory swapped for a symlink after its parent was listed', () => {
    const outside = makeTemp();
    mkdirSync(join(outside, 'sub'));
    writeFileSync(join(outside, 'sub/precious'), 'x');
    mkdirSync(join(dir, 'v/sub'), { recursive: true });
    writeFileSync(join(dir, 'v/sub/mine'), 'x');
    // The local user acts right after the agent listed v: sub becomes a symlink to OUTSIDE/sub.
    const racing: AtFs = Object.create(fs) as AtFs;
    let swapped = false;
    racing.readdir = (fd: number): Buffer[] => {
      const names = fs.readdir(fd);
      if (!swapped && names.some((n) => n.equals(Buffer.from('sub')))) {
        swapped = true;
        renameSync(join(dir, 'v/sub'), join(dir, 'moved'));
        symlinkSync(join(outside, 'sub'), join(dir, 'v/sub'));
      }
      return names;
    };
    removeTree(racing, dirFd, Buffer.from('v'));
    expect(swapped).to.equal(true);
    expect(existsSync(join(dir, 'v'))).to.equal(false);
    expect(readdirSync(join(outside, 'sub'))).to.deep.equal(['precious']);
    expect(readdirSync(join(dir, 'moved'))).to.deep.equal(['mine']);
  });
});
