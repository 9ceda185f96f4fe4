// Verify's verdict rules on two listings (pure): what an entry is before what it holds, what it
// holds before its attributes; symlink modes, and owners unless the agent is root, not compared.

import { expect } from 'chai';
import { fmtNs, judgeAttrs, judgeShape, needsHash, ROOT_RULES } from '../../src/verify/verdict.js';
import type { Listed } from '../../src/verify/list-dir.js';

const FILE: Listed = {
  name: Buffer.from('f'),
  kind: 'file',
  mode: 0o100644,
  uid: 1000,
  gid: 1000,
  size: 5,
  mtimeNs: 1_700_000_000_123_456_789n,
  nlink: 1,
  ino: 11n,
  rdev: 0,
};
const at = (over: Partial<Listed>): Listed => ({ ...FILE, ...over });
const OWNERS = { owners: true };

describe('verify/verdict', () => {
  it('finds nothing between equal entries, whatever their inode and name', () => {
    expect(judgeShape(FILE, at({ ino: 99n }))).to.equal(undefined);
    expect(judgeAttrs(FILE, at({ ino: 99n }), OWNERS)).to.equal(undefined);
  });

  it('judges the shape: type, device number, symlink target, then size', () => {
    expect(judgeShape(FILE, at({ kind: 'dir', size: 4096 }))?.verdict).to.equal('type');
    const dev = (rdev: number) => at({ kind: 'chardev', rdev, size: 0 });
    expect(judgeShape(dev(0x0103), dev(0x0105))).to.deep.equal({
      verdict: 'type',
      master: 'chardev 259',
      slave: 'chardev 261',
    });
    const link = (t: string) => at({ kind: 'symlink', target: Buffer.from(t) });
    expect(judgeShape(link('a/b'), link('a/c'))).to.deep.equal({ verdict: 'target', master: 'a/b', slave: 'a/c' });
    expect(judgeShape(link('a'), link('a'))).to.equal(undefined);
    expect(judgeShape(FILE, at({ size: 6 }))).to.deep.equal({ verdict: 'size', master: '5', slave: '6' });
    // a type difference wins over a size difference
    expect(judgeShape(FILE, at({ kind: 'fifo', size: 0 }))?.verdict).to.equal('type');
  });

  it('judges attributes: mode, then owner, then mtime to the nanosecond', () => {
    expect(judgeAttrs(FILE, at({ mode: 0o100600, uid: 0, mtimeNs: 1n }), OWNERS)).to.deep.equal({
      verdict: 'mode',
      master: '0644',
      slave: '0600',
    });
    expect(judgeAttrs(FILE, at({ gid: 0, mtimeNs: 1n }), OWNERS)).to.deep.equal({
      verdict: 'owner',
      master: '1000:1000',
      slave: '1000:0',
    });
    expect(judgeAttrs(FILE, at({ mtimeNs: FILE.mtimeNs + 1n }), OWNERS)).to.deep.equal({
      verdict: 'mtime',
      master: '1700000000.123456789',
      slave: '1700000000.123456790',
    });
  });

  it('leaves out what cannot or need not match: owners for a non-root agent, symlink modes, the root mode', () => {
    expect(judgeAttrs(FILE, at({ uid: 0 }), { owners: false })).to.equal(undefined);
    const link = (mode: number) => at({ kind: 'symlink', mode, target: Buffer.from('t') });
    expect(judgeAttrs(link(0o120777), link(0o120755), OWNERS)).to.equal(undefined);
    expect(judgeAttrs(FILE, at({ mode: 0o100700, uid: 0 }), ROOT_RULES)).to.equal(undefined);
    expect(judgeAttrs(FILE, at({ mode: 0o100700, mtimeNs: 0n }), ROOT_RULES)?.verdict).to.equal('mtime');
  });

  it('hashes only non-empty files', () => {
    expect(needsHash(FILE, FILE)).to.equal(true);
    expect(needsHash(at({ size: 0 }), at({ size: 0 }))).to.equal(false);
    expect(needsHash(at({ kind: 'dir' }), at({ kind: 'dir' }))).to.equal(false);
  });

  it('writes nanosecond times as seconds with nine decimals, before 1970 too', () => {
    expect([fmtNs(0n), fmtNs(1_000_000_001n), fmtNs(-1_500_000_000n)]).to.deep.equal([
      '0.000000000',
      '1.000000001',
      '-1.500000000',
    ]);
  });
});
