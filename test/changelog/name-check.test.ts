// nameProblem: what a filesystem refuses as one directory entry name (empty, '.', '..', a '/'
// or a NUL); anything else, whatever its bytes, is a name.

import { expect } from 'chai';
import { nameProblem } from '../../src/changelog/name-check.js';

describe('changelog/nameProblem', () => {
  it('refuses the names no directory can hold', () => {
    for (const bad of ['', '.', '..', 'a/b', '/', 'a\0b'])
      expect(nameProblem(Buffer.from(bad)), JSON.stringify(bad)).to.be.a('string');
  });

  it('accepts dots that are not . or .., spaces, newlines and non-UTF-8 bytes', () => {
    for (const good of [
      Buffer.from('...'),
      Buffer.from('.a'),
      Buffer.from('a.'),
      Buffer.from(' '),
      Buffer.from('a\nb'),
      Buffer.from([0xff, 0xfe]),
    ]) {
      expect(nameProblem(good), good.toString('hex')).to.equal(undefined);
    }
  });
});
