import { expect } from 'chai';
import {
  comparePreorder,
  decodePosition,
  encodePosition,
  shouldDescend,
  shouldVisit,
} from '../../src/changelog/crawl-position.js';

const p = (...c: string[]): Buffer[] => c.map((x) => Buffer.from(x));

describe('crawl position', () => {
  it('orders ancestors before descendants and siblings by bytes', () => {
    expect(comparePreorder(p('a'), p('a', 'b'))).to.be.lessThan(0);
    expect(comparePreorder(p('a', 'z'), p('b'))).to.be.lessThan(0);
    expect(comparePreorder(p('b'), p('b'))).to.equal(0);
  });

  it('round-trips positions holding any bytes', () => {
    const pos = [Buffer.from([0xff, 0x20, 0x0a]), Buffer.from('x y')];
    expect(decodePosition(encodePosition(pos))).to.deep.equal(pos);
  });

  it('splits a resumed turn into after/upto passes that cover each directory once', () => {
    const pos = p('b', 'm');
    const dirs = [p(), p('a'), p('b'), p('b', 'a'), p('b', 'm'), p('b', 'z'), p('c')];
    const after = dirs.filter((d) => shouldVisit({ kind: 'after', pos }, d));
    const upto = dirs.filter((d) => shouldVisit({ kind: 'upto', pos }, d));
    expect(after.length + upto.length).to.equal(dirs.length);
    expect(after).to.deep.equal([p('b', 'z'), p('c')]);
    expect(shouldDescend({ kind: 'after', pos }, p('b'))).to.equal(true);
    expect(shouldDescend({ kind: 'after', pos }, p('a'))).to.equal(false);
    expect(shouldDescend({ kind: 'upto', pos }, p('c'))).to.equal(false);
  });
});
