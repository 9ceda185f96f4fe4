// Replies are bounded like requests: a batch whose every op fails with a long path must still
// come back as one reply under LIMITS.messageBytes, with every failure in it (a dropped one
// would read as success). Before, 1000 failures of 4 KB paths made a reply over the limit,
// which the master refused, and every retry failed the same way.

import { expect } from 'chai';
import { LIMITS } from '../../src/slave/index.js';
import type { EntryOp } from '../../src/slave/index.js';
import { ROOT_GFID, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave replies are bounded', () => {
  const a = useReadyAgent();

  it('shortens the failures of a batch whose paths are near PATH_MAX, keeping every one', async function () {
    this.timeout(60_000);
    // A chain of directories whose path is just short of PATH_MAX.
    let parent = ROOT_GFID;
    const chain: EntryOp[] = [];
    for (let level = 0; level < 16; level++) {
      const g = newGfid();
      chain.push(ops.mkdir(g, parent, `${String(level).padStart(2, '0')}${'d'.repeat(248)}`));
      parent = g;
    }
    expect((await a.client.call('entryOps', { ops: chain })).failures).to.deep.equal([]);
    const creates = Array.from({ length: LIMITS.opsPerBatch }, (_, i) =>
      ops.create(newGfid(), parent, `${String(i).padStart(4, '0')}${'f'.repeat(251)}`),
    );
    const { failures } = await a.client.call('entryOps', { ops: creates });
    expect(failures).to.have.length(LIMITS.opsPerBatch);
    expect(new Set(failures.map((f) => f.code))).to.deep.equal(new Set(['PATH_TOO_LONG']));
    expect(failures.map((f) => f.index)).to.deep.equal(creates.map((_, i) => i));
    expect(failures.map((f) => f.gfid)).to.deep.equal(creates.map((c) => c.gfid));
  });
});
