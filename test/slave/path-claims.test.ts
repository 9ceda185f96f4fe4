// PathClaims: the paths of one staging box. Two items may share neither a path nor a prefix
// (a file `q` and a file `q/r` cannot both land in one folder); siblings and cousins can.

import { expect } from 'chai';
import { PathClaims } from '../../src/slave/path-claims.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('slave/PathClaims', () => {
  it('takes siblings and cousins, refuses the same path twice', () => {
    const c = new PathClaims();
    expect(['a/x', 'a/y', 'b/x', 'ab', 'a/xy'].map((p) => c.claim(b(p)))).to.deep.equal([true, true, true, true, true]);
    expect(c.claim(b('a/x'))).to.equal(false);
  });

  it('refuses a path under a claimed file, and a file where a claimed path has its folder', () => {
    const under = new PathClaims();
    expect(under.claim(b('q'))).to.equal(true);
    expect(under.claim(b('q/r'))).to.equal(false);
    expect(under.claim(b('q/r/s'))).to.equal(false);
    const over = new PathClaims();
    expect(over.claim(b('q/r/s'))).to.equal(true);
    expect(over.claim(b('q/r'))).to.equal(false);
    expect(over.claim(b('q'))).to.equal(false);
    expect(over.claim(b('q/t'))).to.equal(true);
  });

  it('claims nothing when it refuses', () => {
    const c = new PathClaims();
    expect(c.claim(b('x/y'))).to.equal(true);
    expect(c.claim(b('x'))).to.equal(false);
    // had the refused `x` been kept as a file, x/z would be refused too
    expect(c.claim(b('x/z'))).to.equal(true);
  });

  it('tells paths apart byte for byte, whatever their encoding', () => {
    const c = new PathClaims();
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: not UTF-8
    expect(c.claim(latin1)).to.equal(true);
    expect(c.claim(b('café'))).to.equal(true);
    expect(c.claim(Buffer.concat([latin1, b('/x')]))).to.equal(false);
  });
});
