// Verify's listing of one folder on real files: names sorted by their bytes (the order both
// sides merge in, whatever the locale), lstat of each child with a symlink's target, and a
// folder removed since its parent was listed reported as gone rather than thrown.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { childPath, listEntries } from '../../src/verify/list-dir.js';

const namesIn = (abs: Buffer): Buffer[] => (listEntries(abs) ?? []).map((e) => e.name);
const entryOf = (abs: Buffer, name: string) => listEntries(abs)?.find((e) => e.name.equals(Buffer.from(name)))?.entry;

describe('verify/list-dir', () => {
  let dir: string;
  let abs: Buffer;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-list-dir-'));
    abs = Buffer.from(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sorts names by their bytes, non-UTF-8 names included, not by their UTF-16 text', () => {
    const names = ['b', 'B', 'a b', 'é', '\uff21', '\u{1f600}'].map((n) => Buffer.from(n));
    names.push(Buffer.from([0x7a, 0xff]));
    for (const n of names) fs.writeFileSync(childPath(abs, n), '');
    // B, "a b", b, z\xff, é, U+FF21, U+1F600: as strings the last two would swap (a surrogate pair sorts first)
    expect(namesIn(abs).map((n) => n.toString('hex'))).to.deep.equal([
      '42',
      '612062',
      '62',
      '7aff',
      'c3a9',
      'efbca1',
      'f09f9880',
    ]);
  });

  it('lstats a child: kind, size, mode, mtime to the ns, a symlink with its target', () => {
    fs.writeFileSync(path.join(dir, 'f'), 'abc', { mode: 0o640 });
    fs.chmodSync(path.join(dir, 'f'), 0o640);
    fs.symlinkSync('no/such/target', path.join(dir, 'l'));
    fs.mkdirSync(path.join(dir, 'd'));
    const f = entryOf(abs, 'f');
    const st = fs.lstatSync(path.join(dir, 'f'), { bigint: true });
    expect(f).to.deep.include({ kind: 'file', size: 3, mode: 0o100640, mtimeNs: st.mtimeNs, ino: st.ino, nlink: 1 });
    expect(f?.target).to.equal(undefined);
    const l = entryOf(abs, 'l');
    expect([l?.kind, l?.target?.toString()]).to.deep.equal(['symlink', 'no/such/target']);
    expect(entryOf(abs, 'd')?.kind).to.equal('dir');
  });

  it('says undefined for a directory that is gone, or is not one', () => {
    fs.writeFileSync(path.join(dir, 'f'), '');
    expect(listEntries(childPath(abs, Buffer.from('gone')))).to.equal(undefined);
    expect(listEntries(childPath(abs, Buffer.from('f')))).to.equal(undefined);
  });
});
