// Timespec conversions: nsec always in [0, 1e9), also before 1970, and a lossless round trip.

import { expect } from 'chai';
import fc from 'fast-check';
import { nsOf, timespecOf } from '../../src/slave/timespec.js';

describe('slave/timespec', () => {
  it('floors before 1970: nsec stays in [0, 1e9)', () => {
    expect(timespecOf(-1n)).to.deep.equal({ sec: -1, nsec: 999_999_999 });
    expect(timespecOf(-1_000_000_000n)).to.deep.equal({ sec: -1, nsec: 0 });
    expect(timespecOf(1_500_000_000n)).to.deep.equal({ sec: 1, nsec: 500_000_000 });
    expect(timespecOf(0n)).to.deep.equal({ sec: 0, nsec: 0 });
  });

  it('round-trips every time in ns', () => {
    const ns = fc.bigInt({ min: -(1n << 62n), max: 1n << 62n });
    fc.assert(
      fc.property(ns, (t) => {
        const ts = timespecOf(t);
        return ts.nsec >= 0 && ts.nsec < 1e9 && nsOf(ts) === t;
      }),
    );
  });
});
