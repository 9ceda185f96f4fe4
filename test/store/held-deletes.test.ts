// HeldDeletes (SQLite): the mass-delete brake's held deletes, kept in the session's index.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Gfid } from '../../src/changelog/index.js';

const G = (n: number): Gfid => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` as Gfid;
const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });

describe('HeldDeletes (sqlite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-held-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds each delete once, pages in order, counts by change time, and survives a reopen', () => {
    const file = path.join(dir, 'index.db');
    let index = SqliteGfidIndex.open(file);
    const held = index.heldDeletes();
    held.hold(
      [
        { gfid: G(1), entry: at('a'), dir: false, changeMs: 1000 },
        { gfid: G(2), entry: at('d'), dir: true, changeMs: 2000 },
      ],
      5000,
    );
    held.hold([{ gfid: G(1), entry: at('a'), dir: false, changeMs: 3000 }], 6000); // a replayed batch
    expect(held.count()).to.equal(2);
    expect([held.countBefore(1000), held.countBefore(1001), held.countBefore(9999)]).to.deep.equal([0, 1, 2]);
    expect(held.heldAt(at('d'))).to.equal(true);
    expect(held.heldAt(at('x'))).to.equal(false);
    index.close();

    index = SqliteGfidIndex.open(file);
    const again = index.heldDeletes();
    const all = again.page(0, 10);
    expect(all.map((h) => [h.seq, h.gfid, h.entry.name.toString(), h.dir, h.changeMs, h.heldMs])).to.deep.equal([
      [1, G(1), 'a', false, 1000, 5000],
      [2, G(2), 'd', true, 2000, 5000],
    ]);
    expect(again.page(1, 10).map((h) => h.seq)).to.deep.equal([2]);
    expect(again.lastSeq()).to.equal(2);
    index.close();
  });

  it('drops a seq range, and never hands out a seq again (a release covers only what it saw)', () => {
    const index = SqliteGfidIndex.open(':memory:');
    const held = index.heldDeletes();
    held.hold(
      [1, 2, 3].map((n) => ({ gfid: G(n), entry: at(`f${n}`), dir: false, changeMs: 0 })),
      1,
    );
    held.drop(1, 3);
    expect(held.page(0, 10).map((h) => h.seq)).to.deep.equal([1]);
    held.hold([{ gfid: G(4), entry: at('f4'), dir: false, changeMs: 0 }], 2);
    expect(held.page(0, 10).map((h) => h.seq)).to.deep.equal([1, 4]);
    index.close();
  });

  it('rolls back with the index transaction it was held in', () => {
    const index = SqliteGfidIndex.open(':memory:');
    const held = index.heldDeletes();
    expect(() =>
      index.transaction(() => {
        held.hold([{ gfid: G(1), entry: at('a'), dir: false, changeMs: 0 }], 1);
        throw new Error('the batch failed');
      }),
    ).to.throw('the batch failed');
    expect(held.count()).to.equal(0);
    index.close();
  });
});
