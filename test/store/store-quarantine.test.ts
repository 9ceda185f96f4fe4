// The one corruption check and quarantine routine both sides' SQLite stores share, on real
// SQLite files damaged the ways disks and people damage them: pages overwritten with garbage in
// the middle, a file that is no database at all, an index out of step with its table (which
// quick_check does not see, SQLITE_CORRUPT_INDEX).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import {
  QUARANTINE_EVENT,
  checkIntegrity,
  condemn,
  condemnedCause,
  isCorruption,
  openOrQuarantine,
  quarantineFiles,
  quarantineStamp,
} from '../../src/store/store-quarantine.js';
import { GeorepError } from '../../src/errors.js';
import { eventLogger } from '../support/event-log.js';

const T = Date.UTC(2026, 11, 6, 14, 54, 37, 123);

/** A WAL database of `rows` rows (about 120 bytes each), left with its -wal and -shm. */
function makeDb(p: string, rows: number): Database.Database {
  const db = new Database(p);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0'); // keep a -wal beside it
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID; CREATE INDEX t_v ON t (v)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(`key-${i}-${'k'.repeat(40)}`, `value-${i}-${'v'.repeat(60)}`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  return db;
}

/** Overwrites `count` pages from the middle of the file with garbage. */
function garblePages(p: string, count: number): void {
  const fd = fs.openSync(p, 'r+');
  try {
    const pages = Math.floor(fs.fstatSync(fd).size / 4096);
    const from = Math.floor(pages / 2) - Math.floor(count / 2);
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    for (let n = 0; n < count; n++) fs.writeSync(fd, junk, 0, junk.length, (from + n) * 4096);
  } finally {
    fs.closeSync(fd);
  }
}

/** Caught from `fn`; fails the test if nothing is thrown. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  expect.fail('expected an error');
}

describe('store quarantine (shared by the master and the slave)', () => {
  let dir: string;
  let p: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-quarantine-'));
    p = path.join(dir, 'index.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a database with pages overwritten in the middle: a scan reports SQLITE_CORRUPT*, quick_check fails, both count as corruption', () => {
    makeDb(p, 3000).close();
    garblePages(p, 4);
    const db = new Database(p);
    try {
      const scan = caught(() => db.prepare('SELECT count(*), max(v) FROM t').get());
      expect(scan).to.be.instanceOf(Database.SqliteError);
      expect((scan as InstanceType<typeof Database.SqliteError>).code).to.match(/^SQLITE_CORRUPT/);
      expect(isCorruption(scan)).to.equal(true);
      const check = caught(() => checkIntegrity(db, 'test store', p));
      expect(isCorruption(check)).to.equal(true);
      expect((check as Error).message, 'one line').not.to.include('\n');
    } finally {
      db.close();
    }
  });

  it('a file that is not a database at all: SQLITE_NOTADB is corruption', () => {
    fs.writeFileSync(p, 'this is a text file, not a database\n'.repeat(300));
    const e = caught(() => {
      const db = new Database(p);
      try {
        db.pragma('journal_mode = WAL');
      } finally {
        db.close();
      }
    });
    expect((e as InstanceType<typeof Database.SqliteError>).code).to.equal('SQLITE_NOTADB');
    expect(isCorruption(e)).to.equal(true);
  });

  it('every extended SQLITE_CORRUPT code is corruption (the slave agent once knew only the primary code)', () => {
    for (const code of ['SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX'])
      expect(isCorruption(new Database.SqliteError('database disk image is malformed', code)), code).to.equal(true);
    for (const code of ['SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CANTOPEN'])
      expect(isCorruption(new Database.SqliteError('not damage', code)), code).to.equal(false);
    expect(isCorruption(new GeorepError('STATE_CORRUPT', 'unknown entry type'))).to.equal(true);
    expect(isCorruption(new GeorepError('IO_ERROR', 'disk full'))).to.equal(false);
  });

  it('an index out of step with its table: SQLITE_CORRUPT_INDEX that quick_check misses; condemned, the next open quarantines it', () => {
    const made = new Database(p);
    made.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID; CREATE INDEX t_v ON t (v)');
    made.transaction(() => {
      for (let i = 0; i < 100; i++) made.prepare('INSERT INTO t VALUES (?, ?)').run(`k${i}`, `v${i}`);
    })();
    made.close();
    // Rewrite one value inside the index's (single) page only (same length, order kept): the
    // table still says v99, the index v9X.
    const probe = new Database(p, { readonly: true });
    const root = Number(probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 't_v'").pluck().get());
    probe.close();
    const buf = fs.readFileSync(p);
    const page = buf.subarray((root - 1) * 4096, root * 4096);
    const at = page.indexOf('v99');
    expect(at).to.be.above(0);
    page.write('v9X', at);
    fs.writeFileSync(p, buf);

    const open = (): Database.Database => {
      const db = new Database(p);
      try {
        checkIntegrity(db, 'test store', p);
        return db;
      } catch (e) {
        db.close();
        throw e;
      }
    };
    const first = openOrQuarantine(p, open, { what: 'test store', clock: { nowMs: () => T } });
    expect(first.quarantined, 'quick_check passes it').to.equal(undefined);
    const e = caught(() => first.store.prepare('DELETE FROM t WHERE k = ?').run('k99'));
    expect((e as InstanceType<typeof Database.SqliteError>).code).to.equal('SQLITE_CORRUPT_INDEX');
    expect(isCorruption(e)).to.equal(true);
    const verdict = condemn(p, 'test store', e);
    expect(verdict.code).to.equal('STATE_CORRUPT');
    expect(verdict.message).to.include(p).and.to.include('SQLITE_CORRUPT_INDEX');
    first.store.close();
    expect(condemnedCause(p)).to.include('SQLITE_CORRUPT_INDEX');

    const { log, events } = eventLogger();
    const second = openOrQuarantine(p, open, { what: 'test store', clock: { nowMs: () => T }, log });
    second.store.close();
    expect(second.quarantined).to.equal(`${p}.corrupt-20261206T145437.123Z`);
    expect(condemnedCause(p)).to.equal(undefined);
    expect(events).to.have.lengthOf(1);
    expect(events[0]).to.include({ event: QUARANTINE_EVENT, path: p, quarantined: second.quarantined });
    expect(String(events[0]?.['cause'])).to.include('SQLITE_CORRUPT_INDEX');
  });

  it('openOrQuarantine moves a garbled database aside with its -wal and -shm under a timestamp, then opens an empty one', () => {
    const live = makeDb(p, 3000);
    live.prepare('INSERT INTO t VALUES (?, ?)').run('in-the-wal', 'x'); // the -wal holds a frame
    const walBytes = fs.readFileSync(`${p}-wal`);
    expect(walBytes.length).to.be.above(0);
    expect(fs.existsSync(`${p}-shm`)).to.equal(true);
    garblePages(p, 4);
    const { log, events } = eventLogger();
    const opened = openOrQuarantine(
      p,
      () => {
        const db = new Database(p);
        try {
          db.pragma('journal_mode = WAL');
          checkIntegrity(db, 'test store', p);
          return db;
        } catch (e) {
          db.close();
          throw e;
        }
      },
      { what: 'test store', clock: { nowMs: () => T }, log },
    );
    live.close();
    try {
      const aside = `${p}.corrupt-${quarantineStamp(T)}`;
      expect(opened.quarantined).to.equal(aside);
      expect(fs.existsSync(aside)).to.equal(true);
      expect(fs.readFileSync(`${aside}-wal`).equals(walBytes)).to.equal(true);
      expect(fs.existsSync(`${aside}-shm`)).to.equal(true);
      expect(opened.store.prepare('SELECT count(*) FROM sqlite_master').pluck().get()).to.equal(0);
      expect(events.map((e) => e['event'])).to.deep.equal([QUARANTINE_EVENT]);
      expect(events[0]).to.include({ path: p, quarantined: aside, store: 'test store' });
    } finally {
      opened.store.close();
    }
  });

  it('a sound database is opened as it is, and errors that are not damage go up unchanged', () => {
    makeDb(p, 10).close();
    const opened = openOrQuarantine(p, () => new Database(p), { what: 'test store', clock: { nowMs: () => T } });
    expect(opened.quarantined).to.equal(undefined);
    opened.store.close();
    const busy = new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    const e = caught(() =>
      openOrQuarantine(
        p,
        () => {
          throw busy;
        },
        { what: 'test store', clock: { nowMs: () => T } },
      ),
    );
    expect(e).to.equal(busy);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.corrupt-'))).to.deep.equal([]);
  });

  it('never overwrites an earlier quarantined file of the same millisecond', () => {
    fs.writeFileSync(p, 'one');
    const a = quarantineFiles(p, T);
    fs.writeFileSync(p, 'two');
    const b = quarantineFiles(p, T);
    expect(b).to.equal(`${a}.1`);
    expect(fs.readFileSync(a, 'utf8')).to.equal('one');
    expect(fs.readFileSync(b, 'utf8')).to.equal('two');
  });
});
