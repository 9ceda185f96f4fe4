// SlaveIndex: the slave's names by gfid, and the directory path cache in front of them. The
// cache must never outlive what it was read from: a request whose transaction rolls back, or
// a name replaced in place, leaves no path of the state that is gone.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_GFID } from '../../src/changelog/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { SlaveIndex } from '../../src/slave/slave-index.js';

const gfid = (n: number): Gfid => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` as Gfid;
const at = (pargfid: Gfid, name: string): { pargfid: Gfid; name: Buffer } => ({ pargfid, name: Buffer.from(name) });

describe('slave/SlaveIndex directory paths', () => {
  let tmp: string;
  let idx: SlaveIndex;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-slave-index-'));
    idx = SlaveIndex.open(path.join(tmp, 'index.db'));
    idx.add(gfid(1), 'dir', at(ROOT_GFID, 'a'));
    idx.add(gfid(2), 'dir', at(gfid(1), 'b'));
  });
  afterEach(() => {
    idx.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('gives no path read inside a transaction that rolled back', () => {
    expect(idx.dirPath(gfid(2))?.toString()).to.equal('a/b');
    expect(() =>
      idx.transaction(() => {
        idx.moveName(at(ROOT_GFID, 'a'), at(ROOT_GFID, 'moved'));
        expect(idx.dirPath(gfid(2))?.toString()).to.equal('moved/b');
        throw new Error('the request failed');
      }),
    ).to.throw('the request failed');
    expect(idx.dirPath(gfid(2))?.toString()).to.equal('a/b');
  });

  it('gives no path of a directory whose name another gfid took', () => {
    expect(idx.dirPath(gfid(2))?.toString()).to.equal('a/b');
    idx.add(gfid(3), 'dir', at(gfid(1), 'b')); // replaces the name (see add)
    expect(idx.dirPath(gfid(3))?.toString()).to.equal('a/b');
    expect(idx.dirPath(gfid(2))).to.equal(undefined);
  });
});
