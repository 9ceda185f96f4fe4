// stderrTail: what a transfer's stderr leaves in messages and logs: its last non-empty lines,
// capped in characters so a flood of per-file errors cannot bloat a log line.

import { expect } from 'chai';
import { STDERR_TAIL_CHARS, STDERR_TAIL_LINES } from '../../src/syncer/constants.js';
import { stderrTail } from '../../src/syncer/stderr-scan.js';

describe('syncer/stderrTail', () => {
  it('keeps the last lines, blank ones dropped', () => {
    expect(stderrTail('a\n\n  \nb\n')).to.equal('a\nb');
    const lines = Array.from({ length: STDERR_TAIL_LINES + 5 }, (_, i) => `line ${i}`);
    const tail = stderrTail(lines.join('\n'));
    expect(tail.split('\n')).to.deep.equal(lines.slice(-STDERR_TAIL_LINES));
  });

  it('cuts a tail over the character cap from the front, marked with an ellipsis', () => {
    const long = `${'x'.repeat(STDERR_TAIL_CHARS)}END`;
    const tail = stderrTail(long);
    expect(tail).to.have.length(STDERR_TAIL_CHARS + 1);
    expect(tail.startsWith('…')).to.equal(true);
    expect(tail.endsWith('END')).to.equal(true);
  });

  it('gives an empty tail for an empty stderr', () => {
    expect(stderrTail('')).to.equal('');
  });
});
