// verify lines: any byte path survives the trip through a line and back (repair reads paths
// from lines); malformed lines are USAGE errors naming their line number.

import { expect } from 'chai';
import fc from 'fast-check';
import { formatLine, parseLine, pathBytes, pathText } from '../../src/verify/lines.js';
import { codeOf } from '../support/error-code.js';
import { escapeName } from '../../src/changelog/index.js';
import { wireName } from '../../src/verify/wire-entry.js';

/** A name: 1-40 bytes, no '/' or NUL, not '.' or '..'. */
const nameArb = fc
  .uint8Array({ minLength: 1, maxLength: 40 })
  .map((a) => Buffer.from(a.map((b) => (b === 0x2f || b === 0 ? 0x41 : b))))
  .filter((b) => !(b.length <= 2 && b.every((x) => x === 0x2e)));

describe('verify/lines', () => {
  it('round-trips any byte path through a JSON line', () => {
    fc.assert(
      fc.property(fc.array(nameArb, { minLength: 1, maxLength: 6 }), (names) => {
        const rel = Buffer.concat(names.flatMap((n, i) => (i === 0 ? [n] : [Buffer.from('/'), n])));
        const text = formatLine({ path: pathText(rel), gfid: null, verdict: 'missing', type: 'file' });
        expect(text).not.to.include('\n');
        const back = parseLine(text, 1);
        expect('path' in back && pathBytes(back.path).equals(rel)).to.equal(true);
      }),
      { numRuns: 500 },
    );
    expect(pathBytes('.').length).to.equal(0);
  });

  it('refuses what is not a verify line', () => {
    for (const bad of ['nope', '[]', '{"path":"a"}', '{"path":"a/../b","gfid":null,"verdict":"ok","type":"file"}'])
      expect(
        codeOf(() => parseLine(bad, 7)),
        bad,
      ).to.equal('USAGE');
    expect(codeOf(() => parseLine('{"path":"a","gfid":"x","verdict":"ok","type":"file"}', 1))).to.equal('USAGE');
    expect(parseLine('{"done":true,"divergent":0}', 2)).to.include({ done: true });
  });
});

describe('verify/wire-entry', () => {
  it('wireName is escapeName, faster for plain names', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (a) => {
        const b = Buffer.from(a);
        expect(wireName(b)).to.equal(escapeName(b));
      }),
      { numRuns: 2000 },
    );
    for (const s of ['plain.txt', 'a b', '%41', 'é', 'x/y', '~!@#$^&*()'])
      expect(wireName(Buffer.from(s))).to.equal(escapeName(Buffer.from(s)));
  });
});
