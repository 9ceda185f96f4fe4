// Verify's progress line on a terminal: drawn over itself at most every 200 ms, with the count
// against the index's estimate, the rate since the first update and an ETA; cleared at the end.
// Off a terminal it writes nothing (the e2e tests run there, so this is its only check on one).

import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { verifyProgress } from '../../src/verify/progress.js';
import { ManualClock } from '../support/manual-clock.js';

/** A stream that keeps what is written, each write apart. */
function collector(): { stream: PassThrough; writes: string[] } {
  const stream = new PassThrough();
  const writes: string[] = [];
  stream.on('data', (c: Buffer) => writes.push(c.toString('utf8')));
  return { stream, writes };
}
const p = (examined: number, divergent = 0, expected = 0) => ({ examined, divergent, expected, elapsedMs: 0 });
const CLEAR = '\r\x1b[K';

describe('verify/progress', () => {
  it('draws one line with rate and ETA, at most every 200 ms, and clears it at the end', () => {
    const clock = new ManualClock();
    const { stream, writes } = collector();
    const sink = verifyProgress(true, stream, clock);
    expect(sink.live).to.equal(true);
    clock.advance(1000);
    sink.update(p(0, 0, 1000));
    clock.advance(100);
    sink.update(p(50, 0, 1000)); // 100 ms after the last draw: not drawn
    clock.advance(900);
    sink.update(p(250, 2, 1000)); // 250 entries in 1 s, 750 left
    sink.finish();
    expect(writes).to.deep.equal([
      `${CLEAR}verify: 0 of ~1000 entries, 0 divergent, 0/s`,
      `${CLEAR}verify: 250 of ~1000 entries, 2 divergent, 250/s, ETA 3.0 s`,
      CLEAR,
    ]);
  });

  it('leaves out the estimate when the index has no count, and clears nothing never drawn', () => {
    const clock = new ManualClock();
    const { stream, writes } = collector();
    const sink = verifyProgress(true, stream, clock);
    sink.finish();
    expect(writes).to.deep.equal([]);
    clock.advance(500);
    sink.update(p(0));
    clock.advance(500);
    sink.update(p(40, 1));
    expect(writes.at(-1)).to.equal(`${CLEAR}verify: 40 entries, 1 divergent, 80/s`);
  });

  it('writes nothing off a terminal', () => {
    const clock = new ManualClock();
    const { stream, writes } = collector();
    const sink = verifyProgress(false, stream, clock);
    expect(sink.live).to.equal(false);
    sink.update(p(10, 1, 100));
    clock.advance(1000);
    sink.update(p(20, 1, 100));
    sink.finish();
    expect(writes).to.deep.equal([]);
  });
});
