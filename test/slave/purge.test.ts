// purgeUnknown: removal of entries the slave index does not know.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_GFID, apply, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave/purge', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  it('purgeUnknown removes entries the index does not know, never .georep at the root', async () => {
    const d = newGfid();
    await apply(a.client, [ops.create(newGfid(), ROOT_GFID, 'known'), ops.mkdir(d, ROOT_GFID, 'd')]);
    writeFileSync(p('stray'), 'x');
    writeFileSync(p('d/stray'), 'x');
    await apply(a.client, [ops.mkdir(newGfid(), d, 'sub')]);
    writeFileSync(p('d/sub/deep-stray'), 'x');
    const r = await a.client.call('purgeUnknown', { dirs: [ROOT_GFID, d, newGfid()] });
    expect([r.removed, r.failures.map((x) => [x.index, x.code])]).to.deep.equal([2, [[2, 'GFID_UNKNOWN']]]);
    expect(readdirSync(a.root).sort()).to.deep.equal(['.georep', 'd', 'known']);
    expect(readdirSync(p('d'))).to.deep.equal(['sub']);
    expect(readdirSync(p('d/sub'))).to.deep.equal(['deep-stray']); // not listed, not purged
  });

  it('keeps the purged directory’s times to the nanosecond', async () => {
    const d = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd')]);
    writeFileSync(p('d/stray'), 'x');
    // GNU touch sets times with utimensat, to the nanosecond (Node's utimes cannot).
    const touched = spawnSync('touch', ['-d', '@1600000000.123456789', p('d')]);
    expect(touched.status).to.equal(0);
    expect((await a.client.call('purgeUnknown', { dirs: [d] })).removed).to.equal(1);
    const st = lstatSync(p('d'), { bigint: true });
    expect([st.atimeNs, st.mtimeNs]).to.deep.equal([1_600_000_000_123_456_789n, 1_600_000_000_123_456_789n]);
  });
});
