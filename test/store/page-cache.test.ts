// The SQLite page caches of the master's session database and of the slave agent's index are
// capped well below better-sqlite3's 16 MB default: a first sync of 200k files filled both,
// against a one-shot memory target for all processes together (issue 15).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { STORE_CACHE_KIB, connect } from '../../src/store/sqlite-store.js';
import { INDEX_CACHE_KIB, SlaveIndex } from '../../src/slave/slave-index.js';

describe('SQLite page caches', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-cache-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the session database caps its page cache at STORE_CACHE_KIB (8 MiB or less)', () => {
    const db = connect(path.join(tmp, 'index.db'));
    try {
      expect(Number(db.pragma('cache_size', { simple: true }))).to.equal(-STORE_CACHE_KIB);
      expect(STORE_CACHE_KIB).to.be.at.most(8192);
    } finally {
      db.close();
    }
  });

  it("the slave agent's index caps its page cache at INDEX_CACHE_KIB (8 MiB or less)", () => {
    const idx = SlaveIndex.open(path.join(tmp, 'slave.db'));
    try {
      const db = (idx as unknown as { db: { pragma: (s: string, o: { simple: true }) => unknown } }).db;
      expect(Number(db.pragma('cache_size', { simple: true }))).to.equal(-INDEX_CACHE_KIB);
      expect(INDEX_CACHE_KIB).to.be.at.most(8192);
    } finally {
      idx.close();
    }
  });
});
