// Sync points in a real session index (SQLite in memory): stime and the entry-ops position read
// back as written, absent before the first turn, and kept under their on-disk keys ('stime',
// 'entry_stime'), which session databases written by older versions hold.

import { expect } from 'chai';
import { SqliteGfidIndex } from '../../src/store/index.js';
import {
  ENTRY_OPS_APPLIED_KEY,
  forgetEntryOpsApplied,
  readEntryOpsApplied,
  readStime,
  STIME_KEY,
  writeEntryOpsApplied,
  writeStime,
} from '../../src/store/sync-points.js';

describe('store/sync-points', () => {
  let index: SqliteGfidIndex;
  beforeEach(() => {
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => index.close());

  it('reads stime back as written, and none before the first turn', () => {
    expect(readStime(index)).to.equal(undefined);
    writeStime(index, 1_700_000_000_123);
    expect(readStime(index)).to.equal(1_700_000_000_123);
    expect([STIME_KEY, index.getMeta('stime')]).to.deep.equal(['stime', '1700000000123']);
    index.setMeta(STIME_KEY, '');
    expect(readStime(index)).to.equal(undefined);
  });

  it('keeps the entry-ops position as a changelog name under entry_stime, and forgets it', () => {
    expect(readEntryOpsApplied(index)).to.equal(undefined);
    writeEntryOpsApplied(index, 'CHANGELOG.1700000000.2');
    expect(readEntryOpsApplied(index)).to.deep.equal({ prefix: 'CHANGELOG', ts: 1700000000, seq: 2 });
    expect([ENTRY_OPS_APPLIED_KEY, index.getMeta('entry_stime')]).to.deep.equal([
      'entry_stime',
      'CHANGELOG.1700000000.2',
    ]);
    forgetEntryOpsApplied(index);
    expect(readEntryOpsApplied(index)).to.equal(undefined);
  });

  it('reads a value that is no changelog name as no position', () => {
    index.setMeta(ENTRY_OPS_APPLIED_KEY, '1700000000');
    expect(readEntryOpsApplied(index)).to.equal(undefined);
  });
});
