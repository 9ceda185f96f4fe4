// Sampler: about the asked fraction, and the same choice for the same seed (a resumed verify).

import { expect } from 'chai';
import { Sampler } from '../../src/verify/sample.js';

describe('verify/sample', () => {
  it('examines about the fraction asked, the same entries for the same seed', () => {
    const a = new Sampler(0.1, 42);
    const b = new Sampler(0.1, 42);
    const c = new Sampler(0.1, 43);
    let inA = 0;
    let same = 0;
    let sameOther = 0;
    for (let i = 0; i < 20_000; i++) {
      const rel = Buffer.from(`dir${i % 97}/file-${i}`);
      const x = a.includes(rel);
      if (x) inA++;
      if (x === b.includes(rel)) same++;
      if (x === c.includes(rel)) sameOther++;
    }
    expect(inA / 20_000).to.be.within(0.09, 0.11);
    expect(same).to.equal(20_000);
    expect(sameOther).to.be.below(20_000);
    expect(new Sampler(1, 0).includes(Buffer.from('x'))).to.equal(true);
  });
});
