// Terminal formatting: sizes in binary steps, durations from seconds to hours, and untrusted
// text kept on one line with its control characters escaped.

import { expect } from 'chai';
import { displayText, humanBytes, humanDuration } from '../../src/cli/format.js';

describe('cli/format', () => {
  it('writes sizes in B, KiB, MiB, GiB and TiB', () => {
    expect(
      [0, 1023, 1024, 1536, 5 * 1024 ** 2, 2 * 1024 ** 3, 3 * 1024 ** 4, 2048 * 1024 ** 4].map(humanBytes),
    ).to.deep.equal(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 MiB', '2.0 GiB', '3.0 TiB', '2048.0 TiB']);
  });

  it('writes durations in seconds, then minutes, then hours', () => {
    expect([0, 1234, 59_949, 60_000, 125_400, 3_599_000, 3_600_000, 7_325_000].map(humanDuration)).to.deep.equal([
      '0.0 s',
      '1.2 s',
      '59.9 s',
      '1 min 0 s',
      '2 min 5 s',
      '59 min 59 s',
      '1 h 0 min',
      '2 h 2 min',
    ]);
  });

  it('escapes control characters so a name stays on one line', () => {
    expect(displayText('a\nb\tc\u001b[31md\u007fe\u0085f')).to.equal('a\\nb\\tc\\x1b[31md\\x7fe\\x85f');
    expect(displayText('plain é ü 名前')).to.equal('plain é ü 名前');
  });
});
