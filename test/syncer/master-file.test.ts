// masterFile: the master file of a doubtful item as it is now: its stats (bigint, not followed
// through a symlink), or undefined when it is gone, a parent included.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { masterFile } from '../../src/syncer/master-file.js';

describe('syncer/masterFile', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-master-file-'));
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'f'), 'abc');
    fs.symlinkSync('f', path.join(root, 'd', 'l'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('gives the stats of what is there, a symlink as itself', async () => {
    const f = await masterFile(root, Buffer.from('d/f'));
    expect([f?.isFile(), f?.size]).to.deep.equal([true, 3n]);
    expect((await masterFile(root, Buffer.from('d/l')))?.isSymbolicLink()).to.equal(true);
  });

  it('gives undefined for a file that is gone, or whose parent is gone or a file', async () => {
    expect(await masterFile(root, Buffer.from('d/none'))).to.equal(undefined);
    expect(await masterFile(root, Buffer.from('gone/f'))).to.equal(undefined);
    expect(await masterFile(root, Buffer.from('d/f/under'))).to.equal(undefined);
  });
});
