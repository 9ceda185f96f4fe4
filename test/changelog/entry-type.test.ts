// typeOfMode: the entry type an st_mode's S_IFMT bits name, as lstat and the wire carry it.

import { constants, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { typeOfMode } from '../../src/changelog/index.js';

describe('changelog/entry-type', () => {
  it('names the type of a real file, directory and symlink from their lstat mode, whatever the permission bits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'georep-entry-type-'));
    try {
      writeFileSync(join(dir, 'f'), '');
      mkdirSync(join(dir, 'd'), 0o1777);
      symlinkSync('f', join(dir, 'l'));
      expect(['f', 'd', 'l'].map((n) => typeOfMode(lstatSync(join(dir, n)).mode))).to.deep.equal([
        'file',
        'dir',
        'symlink',
      ]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('names every Linux file type, and none for S_IFMT bits that name no type', () => {
    expect(typeOfMode(constants.S_IFIFO | 0o644)).to.equal('fifo');
    expect(typeOfMode(constants.S_IFSOCK)).to.equal('socket');
    expect(typeOfMode(constants.S_IFCHR | 0o600)).to.equal('chardev');
    expect(typeOfMode(constants.S_IFBLK)).to.equal('blockdev');
    expect(typeOfMode(0o644)).to.equal(undefined);
    expect(typeOfMode(0o170644)).to.equal(undefined);
  });
});
