// relativeInside: inside or outside a root by path components, never by a string prefix.

import { expect } from 'chai';
import { relativeInside } from '../../src/changelog/index.js';

describe('relativeInside', () => {
  it("takes '..dots', '...' and '..config' for names inside the root", () => {
    for (const n of ['..dots', '...', '..config', 'a/..b', '..x/y'])
      expect(relativeInside('/m', `/m/${n}`)).to.equal(n);
  });

  it('gives the root itself as an empty path', () => {
    expect(relativeInside('/m', '/m')).to.equal('');
  });

  it('refuses the parent, a sibling and anything above', () => {
    for (const p of ['/', '/x', '/m2', '/m2/a', '/other/m']) expect(relativeInside('/m', p)).to.equal(undefined);
  });
});
