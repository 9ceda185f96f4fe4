// subtree-resync: the one walk that queues a directory's subtree in the failure ledger, for
// georep resync, a live turn's lost directory and georep repair alike.

import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import type { EntryName, Gfid } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { queueSubtree, subtreeOf } from '../../src/master/subtree-resync.js';

const at = (pargfid: Gfid, name: string): EntryName => ({ pargfid, name: Buffer.from(name) });

describe('subtree-resync', () => {
  let index: SqliteGfidIndex;
  beforeEach(() => {
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => index.close());

  /** a/ {f, b/ {g}}, with f hard-linked as b/f2, and a file beside a. */
  function tree(): Record<'a' | 'b' | 'f' | 'g' | 'top', Gfid> {
    const a = index.create('dir', 1n, at(ROOT_GFID, 'a'));
    const b = index.create('dir', 2n, at(a, 'b'));
    const f = index.create('file', 3n, at(a, 'f'));
    const g = index.create('file', 4n, at(b, 'g'));
    index.link(f, at(b, 'f2'));
    const top = index.create('file', 5n, at(ROOT_GFID, 'top'));
    return { a, b, f, g, top };
  }

  it('walks parents before children, a hard-linked file once per name', () => {
    const t = tree();
    const order = [...subtreeOf(index, t.a)];
    expect(order).to.have.members([t.a, t.f, t.b, t.g, t.f]);
    expect(order.indexOf(t.a)).to.be.below(order.indexOf(t.b));
    expect(order.indexOf(t.b)).to.be.below(order.indexOf(t.g));
    expect(order.filter((g) => g === t.f)).to.have.length(2);
  });

  it('queues a subtree as RESYNC, due now, without an attempt; never the root itself', () => {
    const t = tree();
    const how = { message: 'm', changeMs: 5, nowMs: 7, held: 'requeue' } as const;
    expect(queueSubtree(index, ROOT_GFID, how)).to.equal(6); // a, f, b, g, f2 (f again), top
    const items = index.ledgerAll();
    expect(items.map((i) => i.gfid)).to.have.members([t.a, t.b, t.f, t.g, t.top]);
    expect(index.ledgerGet(ROOT_GFID)).to.equal(undefined);
    for (const i of items) expect(i).to.include({ code: 'RESYNC', attempts: 0, nextMs: 7, changeMs: 5, message: 'm' });
    expect(index.ledgerGet(t.g)?.path).to.equal('a/b/g');
  });

  it("'keep' leaves an item already in the ledger as it is; 'requeue' files it again as RESYNC", () => {
    const t = tree();
    const failed = { gfid: t.g, path: 'a/b/g', code: 'EPERM', errno: 'EPERM', message: 'no', changeMs: 1 };
    index.ledgerRecord(failed, 1, 1000);
    expect(queueSubtree(index, t.b, { message: 'm', changeMs: 5, nowMs: 7, held: 'keep' })).to.equal(2); // b, f2
    expect(index.ledgerGet(t.g)).to.include({ code: 'EPERM', nextMs: 1000, attempts: 1 });
    expect(queueSubtree(index, t.b, { message: 'm', changeMs: 5, nowMs: 7, held: 'requeue' })).to.equal(3);
    expect(index.ledgerGet(t.g)).to.include({ code: 'RESYNC', nextMs: 7, attempts: 1, changeMs: 1 });
  });
});
