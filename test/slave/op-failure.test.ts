// One failed op of a batch: a GeorepError or an errno error becomes an OpFailure at its index and
// the batch goes on; a corrupt index or an unnamed error (a bug) ends the batch instead.

import Database from 'better-sqlite3';
import { expect } from 'chai';
import { GeorepError } from '../../src/errors.js';
import type { Gfid } from '../../src/changelog/index.js';
import { eachOp, errnoError, toFailure } from '../../src/slave/op-failure.js';

const G = '00000000-0000-0000-0000-00000000000a' as Gfid;
const item = (n: number) => ({ gfid: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}` as Gfid, n });

describe('slave/op-failure', () => {
  it('turns a GeorepError (path kept) and an errno error into failures', () => {
    expect(toFailure(new GeorepError('BAD_NAME', 'bad', { path: 'a/b' }), 3, G)).to.deep.equal({
      index: 3,
      gfid: G,
      code: 'BAD_NAME',
      message: 'bad',
      path: 'a/b',
    });
    expect(toFailure(errnoError('EPERM', 'not allowed'), 0, G)).to.deep.include({ index: 0, code: 'EPERM' });
  });

  it('rethrows a corrupt index and an error it cannot name', () => {
    const corrupt = new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT');
    expect(() => toFailure(corrupt, 0, G)).to.throw(Database.SqliteError);
    expect(() => toFailure(new GeorepError('STATE_CORRUPT', 'x'), 0, G)).to.throw(GeorepError);
    expect(() => toFailure(new TypeError('bug'), 0, G)).to.throw(TypeError);
  });

  it('runs every item, failures at their index, the before hook ahead of each', () => {
    const seen: string[] = [];
    const failures = eachOp(
      [item(0), item(1), item(2), item(3)],
      ({ n }) => {
        seen.push(`op ${n}`);
        if (n === 1) throw errnoError('ENOSPC', 'full');
        if (n === 2) throw new GeorepError('ENTRY_CONFLICT', 'in the way');
      },
      (i) => seen.push(`before ${i}`),
    );
    expect(failures.map((f) => [f.index, f.code, f.gfid])).to.deep.equal([
      [1, 'ENOSPC', item(1).gfid],
      [2, 'ENTRY_CONFLICT', item(2).gfid],
    ]);
    expect(seen).to.deep.equal(['before 0', 'op 0', 'before 1', 'op 1', 'before 2', 'op 2', 'before 3', 'op 3']);
  });

  it('stops the batch at a bug', () => {
    const ran: number[] = [];
    const run = () =>
      eachOp([item(0), item(1), item(2)], ({ n }) => {
        ran.push(n);
        if (n === 1) throw new RangeError('bug');
      });
    expect(run).to.throw(RangeError);
    expect(ran).to.deep.equal([0, 1]);
  });
});
