// Re-verify mark in a real session index (SQLite in memory): set after an index rebuild with
// its reason, read by the crawl, cleared only by a completed full crawl, and a no-op to clear
// when absent. (The e2e corrupt-state test shows its effect: a rewrite with size and mtime put
// back still reaches the slave after a rebuild.)

import { expect } from 'chai';
import { endReverify, REVERIFY_KEY, reverifying, startReverify } from '../../src/master/reverify.js';
import { SqliteGfidIndex } from '../../src/store/index.js';

describe('master/reverify', () => {
  let index: SqliteGfidIndex;
  beforeEach(() => {
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => index.close());

  it('is off until started, on (with its reason kept) until ended', () => {
    expect(reverifying(index)).to.equal(false);
    startReverify(index, 'slave index rebuilt');
    expect(reverifying(index)).to.equal(true);
    expect(index.getMeta(REVERIFY_KEY)).to.equal('slave index rebuilt');
    endReverify(index);
    expect(reverifying(index)).to.equal(false);
    endReverify(index);
    expect(reverifying(index)).to.equal(false);
  });
});
