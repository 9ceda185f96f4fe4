// The agent's own state folder (<root>/.georep with staging/, tmp/ and seed/) is reached from the
// root by descriptor on every request, never by a path checked once at hello: a local user who
// can write the slave root may swap .georep for a symlink at any time.

import { expect } from 'chai';
import { mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError } from '../../src/errors.js';
import { ROOT_GFID, apply, item, makeTemp, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave/state folder', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  /** After hello: `.georep` becomes a symlink to a folder outside the root that holds a box, a seed and a tmp. */
  const plantOutside = (): string => {
    const outside = makeTemp();
    for (const dir of ['staging/b', 'seed', 'tmp']) {
      mkdirSync(join(outside, dir), { recursive: true });
      writeFileSync(join(outside, dir, 'keep'), 'precious');
    }
    renameSync(p('.georep'), p('.georep.moved'));
    symlinkSync(outside, p('.georep'));
    return outside;
  };
  const listing = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((n) => String(n))
      .sort();
  const code = (e: unknown): string | undefined => (e instanceof GeorepError ? e.code : undefined);

  it('stageData and commitData neither remove nor make anything through a swapped .georep', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    const outside = plantOutside();
    const before = listing(outside);
    const staged = await a.client.call('stageData', { box: 'b', items: [item(f, 'f')], basis: true }).catch(code);
    const committed = await a.client.call('commitData', { box: 'b', items: [item(f, 'f')] }).catch(code);
    expect(listing(outside)).to.deep.equal(before);
    expect([staged, committed]).to.deep.equal(['PATH_ESCAPES_ROOT', 'PATH_ESCAPES_ROOT']);
  });

  it('seedBegin and seedAbort remove nothing through a swapped .georep', async () => {
    const outside = plantOutside();
    const before = listing(outside);
    const begun = await a.client.call('seedBegin', {}).catch(code);
    const aborted = await a.client.call('seedAbort', {}).catch(code);
    expect(listing(outside)).to.deep.equal(before);
    expect([begun, aborted]).to.deep.equal(['PATH_ESCAPES_ROOT', 'PATH_ESCAPES_ROOT']);
  });
});
