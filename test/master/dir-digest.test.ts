// dirDigest on real lstat: the same listing gives the same digest; a change to any child's
// name, mode, size, times or symlink target gives another, and so does the order of children.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { dirDigest } from '../../src/master/dir-digest.js';
import type { StatedChild } from '../../src/master/dir-digest.js';

describe('master/dirDigest', () => {
  let dir: string;
  const list = (): StatedChild[] =>
    fs
      .readdirSync(dir)
      .sort()
      .map((n) => {
        const p = path.join(dir, n);
        const st = fs.lstatSync(p, { bigint: true });
        const name = Buffer.from(n);
        return st.isSymbolicLink() ? { name, st, target: fs.readlinkSync(p, { encoding: 'buffer' }) } : { name, st };
      });
  const digest = (): string => dirDigest(list()).toString('hex');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-dir-digest-'));
    fs.writeFileSync(path.join(dir, 'f'), 'abc');
    fs.mkdirSync(path.join(dir, 'd'));
    fs.symlinkSync('f', path.join(dir, 'l'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the same for the same listing, and differs in order', () => {
    const first = digest();
    expect(digest()).to.equal(first);
    expect(dirDigest(list().reverse()).toString('hex')).to.not.equal(first);
    expect(dirDigest([]).toString('hex')).to.not.equal(first);
  });

  it('changes with any child: mode, size, mtime, name, symlink target', () => {
    const seen = new Set([digest()]);
    const step = (change: () => void) => {
      change();
      const d = digest();
      expect(seen.has(d), 'a changed listing gave a digest seen before').to.equal(false);
      seen.add(d);
    };
    step(() => fs.chmodSync(path.join(dir, 'f'), 0o600));
    step(() => fs.appendFileSync(path.join(dir, 'f'), 'd'));
    step(() => fs.utimesSync(path.join(dir, 'd'), 1, 1));
    step(() => fs.renameSync(path.join(dir, 'd'), path.join(dir, 'e')));
    step(() => {
      fs.unlinkSync(path.join(dir, 'l'));
      fs.symlinkSync('e', path.join(dir, 'l'));
    });
  });

  it('tells apart listings whose names only concatenate the same', () => {
    const st = fs.lstatSync(path.join(dir, 'f'), { bigint: true });
    const a = dirDigest([
      { name: Buffer.from('ab'), st },
      { name: Buffer.from('c'), st },
    ]);
    const b = dirDigest([
      { name: Buffer.from('a'), st },
      { name: Buffer.from('bc'), st },
    ]);
    expect(a.equals(b)).to.equal(false);
  });
});
