// The session meta key table names the keys as stored: every key an older georep wrote into a
// session index (test/fixtures/sessions) is declared in SESSION_META, and a key written through
// the typed calls lands under that very string. A rename in the table would be a schema change.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SESSION_META } from '../../src/store/session-meta.js';
import type { MetaKey } from '../../src/store/session-meta.js';
import { SqliteGfidIndex } from '../../src/store/sqlite-gfid-index.js';
import { SESSION_FILES } from '../../src/session-files.js';
import { repoRoot } from '../support/cli.js';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'sessions');

/** The meta keys stored in the index at `file` (opened read-only, from a copy). */
function storedKeys(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT key FROM meta ORDER BY key').pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe('store/session-meta', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-meta-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('declares every key the session indexes of older georeps hold', () => {
    const folders = fs.readdirSync(FIXTURES).filter((f) => fs.statSync(path.join(FIXTURES, f)).isDirectory());
    expect(folders).to.not.be.empty;
    for (const folder of folders) {
      const copy = path.join(tmp, `${folder}.db`);
      fs.copyFileSync(path.join(FIXTURES, folder, SESSION_FILES.index), copy);
      const keys = storedKeys(copy);
      expect(keys, folder).to.include.members(['stime', 'slaveId', 'recorder.historyStartMs']);
      for (const key of keys) expect(Object.hasOwn(SESSION_META, key), `${folder}: ${key}`).to.equal(true);
    }
  });

  it('stores each declared key under its own string, and forgets it on delete', () => {
    const file = path.join(tmp, 'index.db');
    const keys = Object.keys(SESSION_META) as MetaKey[];
    const index = SqliteGfidIndex.open(file);
    try {
      index.transaction(() => {
        for (const key of keys) index.setMeta(key, `value of ${key}`);
      });
      index.deleteMeta('brake.cause');
    } finally {
      index.close();
    }
    const stored = storedKeys(file);
    expect(stored).to.deep.equal(keys.filter((k) => k !== 'brake.cause').sort());
  });
});
