// countRemovals: what a turn's deletes (and a purge) would take from the slave, counted without
// touching it: the master's mass-delete brake decides on it before it sends any delete.

import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RemoveOp } from '../../src/slave/index.js';
import { ROOT_GFID, apply, newGfid, ops, useReadyAgent } from './harness.js';

describe('slave/countRemovals', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  it('counts a directory with everything below it, each name once, only where the gfid still is; changes nothing', async () => {
    const [d, sub, f1, f2, deep, other] = [newGfid(), newGfid(), newGfid(), newGfid(), newGfid(), newGfid()];
    expect(
      await apply(a.client, [
        ops.mkdir(d, ROOT_GFID, 'd'),
        ops.create(f1, d, 'f1'),
        ops.create(f2, d, 'f2'),
        ops.mkdir(sub, d, 'sub'),
        ops.create(deep, sub, 'deep'),
        ops.create(other, ROOT_GFID, 'other'),
      ]),
    ).to.deep.equal([]);
    const removes: RemoveOp[] = [
      ops.unlink(f1, d, 'f1') as RemoveOp, // also below the RMDIR: counted once
      ops.rmdir(d, ROOT_GFID, 'd') as RemoveOp, // d, f1, f2, sub, deep
      ops.unlink(newGfid(), ROOT_GFID, 'other') as RemoveOp, // another gfid holds the name: nothing
      ops.unlink(other, ROOT_GFID, 'gone') as RemoveOp, // not there: nothing
    ];
    const r = await a.client.call('countRemovals', { ops: removes, dirs: [] });
    expect(r).to.deep.equal({ entries: 5, unknown: 0, total: 6 });
    expect(readdirSync(p('d')).sort()).to.deep.equal(['f1', 'f2', 'sub']);
    // Counted afresh on each call.
    expect(
      await a.client.call('countRemovals', { ops: [ops.unlink(other, ROOT_GFID, 'other') as RemoveOp], dirs: [] }),
    ).to.deep.equal({ entries: 1, unknown: 0, total: 6 });
  });

  it('counts what a purge of unknown entries would remove, recursively, never .georep', async () => {
    const d = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(newGfid(), ROOT_GFID, 'known')]);
    writeFileSync(p('stray'), 'x');
    mkdirSync(p('d/tree/deeper'), { recursive: true });
    writeFileSync(p('d/tree/a'), 'a');
    writeFileSync(p('d/tree/deeper/b'), 'b');
    const r = await a.client.call('countRemovals', { ops: [], dirs: [ROOT_GFID, d, newGfid()] });
    expect(r).to.deep.equal({ entries: 0, unknown: 5, total: 2 }); // stray; tree, tree/a, tree/deeper, tree/deeper/b
    expect(existsSync(p('d/tree/deeper/b'))).to.equal(true);
  });

  it('refuses an op that removes nothing', async () => {
    const err = await a.client
      .call('countRemovals', { ops: [ops.create(newGfid(), ROOT_GFID, 'x') as unknown as RemoveOp], dirs: [] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as { code?: string }).code).to.equal('BAD_REQUEST');
  });
});
