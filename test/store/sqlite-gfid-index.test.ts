// SqliteGfidIndex: names as raw bytes, hard links, renames and subtree removal keep paths
// right (including cached directory paths), synced attributes round-trip, and a corrupt
// database file is quarantined and replaced at open, or condemned (and the process told to end)
// when met while open.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteGfidIndex } from '../../src/store/sqlite-gfid-index.js';
import { ROOT_GFID } from '../../src/changelog/record.js';
import type { EntryName, Gfid } from '../../src/changelog/record.js';
import type { SyncedAttrs } from '../../src/changelog/entry-stat.js';
import { codeOf } from '../support/error-code.js';
import { quarantineStamp } from '../../src/store/store-quarantine.js';

const at = (pargfid: Gfid, name: string | Buffer): EntryName => ({
  pargfid,
  name: typeof name === 'string' ? Buffer.from(name) : name,
});
const str = (b: Buffer | undefined): string | undefined => b?.toString('latin1');

const attrs: SyncedAttrs = {
  size: 2 ** 40 + 3,
  mtimeNs: 1732270000123456789n,
  ctimeNs: 1732270001987654321n,
  mode: 0o100644,
  uid: 4294967294,
  gid: 65534,
};

describe('SqliteGfidIndex', () => {
  let idx: SqliteGfidIndex;
  beforeEach(() => {
    idx = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => {
    idx.close();
  });

  it('has an implicit root', () => {
    expect(idx.pathOf(ROOT_GFID)?.length).to.equal(0);
    expect(idx.namesOf(ROOT_GFID)).to.deep.equal([]);
    expect(idx.children(ROOT_GFID)).to.deep.equal([]);
    expect(idx.count()).to.equal(0);
  });

  it('stores names as raw bytes, including ones that are not UTF-8', () => {
    const odd = Buffer.from([0xff, 0xfe, 0x20, 0x0a, 0x25]);
    const d = idx.create('dir', 10n, at(ROOT_GFID, odd));
    const f = idx.create('file', 11n, at(d, Buffer.from([0xc3, 0x28])));
    expect(idx.lookup(ROOT_GFID, odd)?.gfid).to.equal(d);
    expect(idx.lookup(ROOT_GFID, Buffer.from(odd.toString('utf8')))).to.equal(undefined);
    const p = idx.pathOf(f);
    expect(p?.equals(Buffer.concat([odd, Buffer.from('/'), Buffer.from([0xc3, 0x28])]))).to.equal(true);
    const e = idx.lookup(d, Buffer.from([0xc3, 0x28]));
    expect(e).to.deep.include({ gfid: f, pargfid: d, type: 'file', ino: 11n, synced: null });
  });

  it('lists children in name order and nests paths', () => {
    const a = idx.create('dir', 1n, at(ROOT_GFID, 'a'));
    const b = idx.create('dir', 2n, at(a, 'b'));
    const c = idx.create('file', 3n, at(b, 'c'));
    idx.create('symlink', 4n, at(ROOT_GFID, 'Z'));
    expect(idx.children(ROOT_GFID).map((e) => str(e.name))).to.deep.equal(['Z', 'a']);
    expect(idx.children(c)).to.deep.equal([]);
    expect(str(idx.pathOf(c))).to.equal('a/b/c');
    expect(str(idx.pathOf(b))).to.equal('a/b');
    expect(idx.count()).to.equal(4);
    expect(idx.pathOf('11111111-2222-4333-8444-555555555555' as Gfid)).to.equal(undefined);
  });

  it('lists child names and gfids in raw byte order, as Buffer.compare sorts (verify merges on it)', () => {
    const names = [Buffer.from([0xff]), Buffer.from('b'), Buffer.from('B'), Buffer.from('a b'), Buffer.from('\u00e9')];
    const made = new Map(
      names.map((n, i) => [n.toString('latin1'), idx.create('file', BigInt(100 + i), at(ROOT_GFID, n))]),
    );
    const rows = idx.childGfids(ROOT_GFID);
    expect(rows.map(([n]) => n)).to.deep.equal([...names].sort(Buffer.compare));
    for (const [n, g] of rows) expect(g).to.equal(made.get(n.toString('latin1')));
  });

  it('returns path buffers the caller may modify', () => {
    const a = idx.create('dir', 1n, at(ROOT_GFID, 'a'));
    const p = idx.pathOf(a);
    p?.fill(0x78);
    expect(str(idx.pathOf(a))).to.equal('a');
  });

  it('keeps two names for a hard link and forgets the object with its last name', () => {
    const d1 = idx.create('dir', 1n, at(ROOT_GFID, 'd1'));
    const d2 = idx.create('dir', 2n, at(ROOT_GFID, 'd2'));
    const f = idx.create('file', 77n, at(d1, 'x'));
    idx.link(f, at(d2, 'y'));
    idx.link(f, at(d2, 'y')); // the same link again: a no-op
    expect(idx.namesOf(f).map((n) => `${n.pargfid}/${str(n.name)}`)).to.have.members([`${d1}/x`, `${d2}/y`]);
    expect(idx.gfidsOfIno(77n)).to.deep.equal([f]);
    expect(idx.count()).to.equal(3);
    idx.unlink(at(d1, 'x'));
    expect(idx.lookup(d2, Buffer.from('y'))?.gfid).to.equal(f);
    expect(str(idx.pathOf(f))).to.equal('d2/y');
    idx.unlink(at(d2, 'y'));
    expect(idx.lookup(d2, Buffer.from('y'))).to.equal(undefined);
    expect(idx.gfidsOfIno(77n)).to.deep.equal([]);
    expect(idx.namesOf(f)).to.deep.equal([]);
    expect(idx.count()).to.equal(2);
  });

  it('refuses what a filesystem would refuse', () => {
    const d = idx.create('dir', 1n, at(ROOT_GFID, 'd'));
    const f = idx.create('file', 2n, at(d, 'f'));
    const unknown = '11111111-2222-4333-8444-555555555555' as Gfid;
    expect(codeOf(() => idx.create('file', 3n, at(d, 'f')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.create('file', 3n, at(unknown, 'g')))).to.equal('GFID_UNKNOWN');
    expect(codeOf(() => idx.create('file', 3n, at(f, 'g')))).to.equal('ENTRY_CONFLICT');
    for (const bad of ['', '.', '..', 'a/b', 'a\u0000b']) {
      expect(
        codeOf(() => idx.create('file', 3n, at(d, bad))),
        JSON.stringify(bad),
      ).to.equal('BAD_NAME');
    }
    expect(codeOf(() => idx.link(d, at(ROOT_GFID, 'd-again')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.link(unknown, at(d, 'h')))).to.equal('GFID_UNKNOWN');
    const g = idx.create('file', 4n, at(d, 'g'));
    expect(codeOf(() => idx.link(g, at(d, 'f')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.unlink(at(ROOT_GFID, 'd')))).to.equal('ENTRY_CONFLICT'); // not empty
    expect(idx.count()).to.equal(3);
  });

  it('treats unlink of a missing name as a no-op, and removes an empty directory', () => {
    idx.unlink(at(ROOT_GFID, 'nope'));
    const d = idx.create('dir', 1n, at(ROOT_GFID, 'd'));
    expect(str(idx.pathOf(d))).to.equal('d'); // cached now
    idx.unlink(at(ROOT_GFID, 'd'));
    expect(idx.pathOf(d)).to.equal(undefined);
    expect(idx.count()).to.equal(0);
    expect(codeOf(() => idx.create('file', 2n, at(d, 'f')))).to.equal('GFID_UNKNOWN');
  });

  it('renames a directory and the cached paths below it follow', () => {
    const a = idx.create('dir', 1n, at(ROOT_GFID, 'a'));
    const b = idx.create('dir', 2n, at(a, 'b'));
    const c = idx.create('file', 3n, at(b, 'c'));
    const z = idx.create('dir', 4n, at(ROOT_GFID, 'z'));
    expect(str(idx.pathOf(c))).to.equal('a/b/c');
    idx.rename(at(ROOT_GFID, 'a'), at(z, Buffer.from([0x80, 0x20])));
    expect(idx.pathOf(c)?.equals(Buffer.from([...Buffer.from('z/'), 0x80, 0x20, ...Buffer.from('/b/c')]))).to.equal(
      true,
    );
    idx.rename(at(b, 'c'), at(ROOT_GFID, 'c2'));
    expect(str(idx.pathOf(c))).to.equal('c2');
    expect(idx.lookup(b, Buffer.from('c'))).to.equal(undefined);
    expect(idx.lookup(ROOT_GFID, Buffer.from('c2'))?.gfid).to.equal(c);
  });

  it('applies POSIX rules when a rename replaces a target', () => {
    const d = idx.create('dir', 1n, at(ROOT_GFID, 'd'));
    const sub = idx.create('dir', 2n, at(d, 'sub'));
    const f = idx.create('file', 3n, at(ROOT_GFID, 'f'));
    const g = idx.create('file', 4n, at(ROOT_GFID, 'g'));
    const empty = idx.create('dir', 5n, at(ROOT_GFID, 'empty'));
    expect(codeOf(() => idx.rename(at(ROOT_GFID, 'd'), at(sub, 'loop')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.rename(at(ROOT_GFID, 'd'), at(d, 'self')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.rename(at(ROOT_GFID, 'f'), at(ROOT_GFID, 'd')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.rename(at(ROOT_GFID, 'empty'), at(ROOT_GFID, 'f')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.rename(at(ROOT_GFID, 'empty'), at(ROOT_GFID, 'd')))).to.equal('ENTRY_CONFLICT');
    expect(codeOf(() => idx.rename(at(ROOT_GFID, 'nope'), at(ROOT_GFID, 'x')))).to.equal('GFID_UNKNOWN');
    idx.rename(at(ROOT_GFID, 'f'), at(ROOT_GFID, 'g')); // replaces g: g's object is gone
    expect(idx.lookup(ROOT_GFID, Buffer.from('g'))?.gfid).to.equal(f);
    expect(idx.namesOf(g)).to.deep.equal([]);
    idx.rename(at(d, 'sub'), at(ROOT_GFID, 'empty')); // an empty directory may be replaced
    expect(idx.pathOf(empty)).to.equal(undefined);
    expect(str(idx.pathOf(sub))).to.equal('empty');
    idx.link(f, at(d, 'f2'));
    idx.rename(at(ROOT_GFID, 'g'), at(d, 'f2')); // two names of one file: nothing happens
    expect(idx.namesOf(f)).to.have.length(2);
    expect(idx.count()).to.equal(3);
  });

  it('removes a subtree but keeps a file hard-linked from outside it', () => {
    const a = idx.create('dir', 1n, at(ROOT_GFID, 'a'));
    const b = idx.create('dir', 2n, at(a, 'b'));
    const c = idx.create('file', 3n, at(b, 'c'));
    const shared = idx.create('file', 4n, at(b, 'shared'));
    idx.link(shared, at(ROOT_GFID, 'outside'));
    const keep = idx.create('dir', 5n, at(ROOT_GFID, 'keep'));
    expect(str(idx.pathOf(c))).to.equal('a/b/c');
    expect(idx.removeTree(a), 'the objects that live on').to.deep.equal([shared]);
    for (const g of [a, b, c]) expect(idx.pathOf(g), g).to.equal(undefined);
    expect(idx.namesOf(shared)).to.deep.equal([{ pargfid: ROOT_GFID, name: Buffer.from('outside') }]);
    expect(str(idx.pathOf(shared))).to.equal('outside');
    expect(str(idx.pathOf(keep))).to.equal('keep');
    expect(idx.count()).to.equal(2);
    expect(idx.removeTree(a)).to.deep.equal([]); // already gone: a no-op
    expect(codeOf(() => idx.removeTree(ROOT_GFID))).to.equal('ENTRY_CONFLICT');
  });

  it('rolls back a failed transaction, cached paths included', () => {
    const a = idx.create('dir', 1n, at(ROOT_GFID, 'a'));
    const f = idx.create('file', 2n, at(a, 'f'));
    expect(() =>
      idx.transaction(() => {
        idx.rename(at(ROOT_GFID, 'a'), at(ROOT_GFID, 'moved'));
        idx.create('file', 3n, at(a, 'new'));
        expect(str(idx.pathOf(f))).to.equal('moved/f');
        throw new Error('boom');
      }),
    ).to.throw('boom');
    expect(str(idx.pathOf(f))).to.equal('a/f');
    expect(idx.lookup(a, Buffer.from('new'))).to.equal(undefined);
    expect(idx.transaction(() => idx.create('file', 4n, at(a, 'ok')))).to.be.a('string');
    expect(idx.count()).to.equal(3);
  });

  it('records synced attributes exactly, and forgets them all on clearSynced', () => {
    const f = idx.create('file', 2n ** 63n - 1n, at(ROOT_GFID, 'f'));
    const g = idx.create('file', 5n, at(ROOT_GFID, 'g'));
    idx.markSynced(f, attrs);
    idx.markSynced(g, { ...attrs, size: 0 });
    idx.markSynced('11111111-2222-4333-8444-555555555555' as Gfid, attrs); // unknown: no-op
    const e = idx.lookup(ROOT_GFID, Buffer.from('f'));
    expect(e?.ino).to.equal(2n ** 63n - 1n);
    expect(e?.synced).to.deep.equal(attrs);
    expect(idx.gfidsOfIno(2n ** 63n - 1n)).to.deep.equal([f]);
    idx.clearSynced();
    expect(idx.children(ROOT_GFID).map((c) => c.synced)).to.deep.equal([null, null]);
  });

  describe('directory digests', () => {
    const digest = Buffer.from('d1g3st');
    let d: Gfid;
    let f: Gfid;
    let sub: Gfid;
    beforeEach(() => {
      d = idx.create('dir', 10n, at(ROOT_GFID, 'd'));
      f = idx.create('file', 11n, at(d, 'f'));
      sub = idx.create('dir', 12n, at(d, 's'));
      idx.markSynced(f, attrs);
      idx.setDirDigest(d, { digest, subdirs: [sub] });
      idx.setDirDigest(ROOT_GFID, { digest, subdirs: [d] });
    });
    const kept = (): boolean => idx.dirDigest(d) !== undefined;

    it('stores a digest with its subdirectories, and an empty list as empty', () => {
      expect(idx.dirDigest(d)).to.deep.equal({ digest, subdirs: [sub] });
      idx.setDirDigest(sub, { digest, subdirs: [] });
      expect(idx.dirDigest(sub)?.subdirs).to.deep.equal([]);
    });

    // Each write a crawl's verdict depends on must drop the parent's digest, and only that one.
    const writes: [string, () => void][] = [
      ['a new name', () => idx.create('file', 13n, at(d, 'g'))],
      ['a hard link', () => idx.link(f, at(d, 'f2'))],
      ['an unlink', () => idx.unlink(at(d, 'f'))],
      ['a rename within', () => idx.rename(at(d, 'f'), at(d, 'f3'))],
      ['a rename out', () => idx.rename(at(d, 'f'), at(ROOT_GFID, 'f'))],
      ['a removed subtree', () => idx.removeTree(sub)],
      ['a confirmation', () => idx.markSynced(f, { ...attrs, size: 1 })],
      ['a new inode seen by the recorder', () => idx.setRecorded(f, attrs, 99n, 0n)],
      ['clearSynced', () => idx.clearSynced()],
    ];
    for (const [what, write] of writes) {
      it(`drops the parent's digest on ${what}`, () => {
        write();
        expect(kept()).to.equal(false);
      });
    }

    it("keeps it on writes a crawl does not compare or that change nothing it compares, and on other directories' children", () => {
      idx.setXtime(f, 1732270000000);
      idx.markSynced(f, attrs); // the same confirmation again
      idx.setRecorded(f, { ...attrs, size: 5 }, 11n, 0n); // the recorder's own columns, the same inode
      idx.markSynced(idx.create('file', 20n, at(sub, 'deep')), attrs);
      idx.markNameSynced(f, at(d, 'f')); // a name confirmed: nothing a crawl lists
      expect(idx.lookup(d, Buffer.from('f'))?.nameSynced).to.equal(true);
      expect(kept()).to.equal(true);
    });

    it('moving a directory in drops the digests of both parents', () => {
      const e = idx.create('dir', 30n, at(ROOT_GFID, 'e'));
      idx.setDirDigest(e, { digest, subdirs: [] });
      idx.rename(at(d, 's'), at(e, 's'));
      expect([kept(), idx.dirDigest(e)]).to.deep.equal([false, undefined]);
    });

    describe('staged until their children are confirmed as listed', () => {
      let e: Gfid;
      let g: Gfid;
      let h: Gfid;
      beforeEach(() => {
        e = idx.create('dir', 40n, at(ROOT_GFID, 'e'));
        g = idx.create('file', 41n, at(e, 'g'));
        h = idx.create('dir', 42n, at(e, 'h'));
        idx.stageDirDigest(e, { digest, subdirs: [h] }, [
          { gfid: g, type: 'file', ino: 41n, attrs },
          { gfid: h, type: 'dir', ino: 42n, attrs: { ...attrs, size: 4096, mode: 0o40755 } },
        ]);
      });
      const confirmBoth = (): void => {
        idx.markSynced(g, attrs);
        idx.markSynced(h, { ...attrs, size: 4096, mode: 0o40755 });
      };

      it('stores the digest once every child is confirmed as listed, and only once', () => {
        confirmBoth(); // the turn's own confirmations: they do not drop a staged digest
        expect(idx.dirDigest(e)).to.equal(undefined);
        expect(idx.commitStagedDigests()).to.equal(1);
        expect(idx.dirDigest(e)).to.deep.equal({ digest, subdirs: [h] });
        expect(idx.commitStagedDigests()).to.equal(0);
      });

      // Whatever would make a crawl find the directory unclean keeps its digest out.
      const spoilers: [string, () => void][] = [
        ['a child left unconfirmed', () => idx.markSynced(h, { ...attrs, size: 4096, mode: 0o40755 })],
        ['a child confirmed with other attrs', () => (confirmBoth(), idx.markSynced(g, { ...attrs, size: 1 }))],
        ['a child on another inode', () => (confirmBoth(), idx.setRecorded(g, attrs, 99n, 0n))],
        ['a child renamed away', () => (confirmBoth(), idx.rename(at(e, 'g'), at(ROOT_GFID, 'g')))],
        ['a child more', () => (confirmBoth(), idx.markSynced(idx.create('file', 43n, at(e, 'x')), attrs))],
      ];
      for (const [what, spoil] of spoilers) {
        it(`keeps it out with ${what}`, () => {
          spoil();
          expect([idx.commitStagedDigests(), idx.dirDigest(e)]).to.deep.equal([0, undefined]);
        });
      }

      it('forgets staged digests on dropStagedDigests', () => {
        confirmBoth();
        idx.dropStagedDigests();
        expect(idx.commitStagedDigests()).to.equal(0);
      });
    });

    it('forgets the digest of a directory that is removed', () => {
      idx.unlink(at(d, 's'));
      idx.setDirDigest(sub, { digest, subdirs: [] }); // a stale row for a gone gfid…
      idx.removeTree(d);
      expect(idx.dirDigest(d)).to.equal(undefined);
    });
  });

  it('keeps meta key/values', () => {
    expect(idx.getMeta('stime')).to.equal(undefined);
    idx.setMeta('stime', '1732270000.5');
    idx.setMeta('stime', '1732270001.0');
    idx.setMeta('brake.cause', 'ünï');
    expect(idx.getMeta('stime')).to.equal('1732270001.0');
    expect(idx.getMeta('brake.cause')).to.equal('ünï');
  });

  it('does 50,000 create + markSynced in one transaction in well under a second', function () {
    const dirs: Gfid[] = [ROOT_GFID];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    idx.transaction(() => {
      for (let d = 0; d < 100; d++) dirs.push(idx.create('dir', BigInt(1_000_000 + d), at(ROOT_GFID, `d${d}`)));
      for (let i = 0; i < 50_000; i++) {
        const g = idx.create('file', BigInt(i), at(dirs[Math.floor(i / 500)] ?? ROOT_GFID, `file-${i}.dat`));
        idx.markSynced(g, { ...attrs, size: i });
      }
    });
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const wallMs = performance.now() - t0;
    if (this.test !== undefined) this.test.title += ` (${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU)`;
    expect(idx.count()).to.equal(50_100);
    // CPU time, not wall time: other work on a shared machine stretches the wall clock but
    // not this process's own cost. ~450 ms on an idle 2-core machine; the bound catches a
    // lost transaction or an accidental scan per call, not jitter.
    expect(cpuMs).to.be.below(1500);
  });
});

describe('SqliteGfidIndex on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-index-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('persists across close and open', () => {
    const p = path.join(dir, 'index.db');
    const a = SqliteGfidIndex.open(p);
    const f = a.create('file', 9n, at(ROOT_GFID, Buffer.from([0xfe])));
    a.markSynced(f, attrs);
    a.setMeta('brake.cause', 'v');
    a.close();
    const b = SqliteGfidIndex.open(p);
    try {
      expect(b.quarantined).to.equal(undefined);
      expect(b.lookup(ROOT_GFID, Buffer.from([0xfe]))).to.deep.include({ gfid: f, synced: attrs });
      expect(b.getMeta('brake.cause')).to.equal('v');
    } finally {
      b.close();
    }
  });

  it('quarantines a file that is not a database and starts empty', () => {
    const p = path.join(dir, 'index.db');
    const garbage = Buffer.alloc(8192, 0x5a);
    fs.writeFileSync(p, garbage);
    fs.writeFileSync(`${p}-wal`, 'stale wal');
    const idx = SqliteGfidIndex.open(p, { clock: { nowMs: () => 1732270000000 } });
    try {
      expect(idx.quarantined).to.equal(`${p}.corrupt-20241122T100640.000Z`);
      expect(fs.readFileSync(`${p}.corrupt-20241122T100640.000Z`).equals(garbage)).to.equal(true);
      // SQLite drops a WAL it cannot use when it closes the bad file; either way the stale
      // WAL must not be applied to the fresh database.
      const wal = `${p}-wal`;
      expect(fs.existsSync(wal) ? fs.readFileSync(wal, 'utf8') : '').to.not.equal('stale wal');
      expect(idx.count()).to.equal(0);
      const f = idx.create('file', 1n, at(ROOT_GFID, 'after'));
      expect(idx.lookup(ROOT_GFID, Buffer.from('after'))?.gfid).to.equal(f);
    } finally {
      idx.close();
    }
    // The replacement is a real database: it reopens cleanly with the new entry.
    const again = SqliteGfidIndex.open(p, { clock: { nowMs: () => 1732270000000 } });
    try {
      expect(again.quarantined).to.equal(undefined);
      expect(again.count()).to.equal(1);
    } finally {
      again.close();
    }
  });

  it('opens a version-2 database in place: every gfid kept, birth times unknown until seen', () => {
    const p = path.join(dir, 'index.db');
    const old = SqliteGfidIndex.open(p);
    const g = old.create('file', 7n, at(ROOT_GFID, 'kept'));
    old.close();
    const raw = new Database(p);
    raw.exec('ALTER TABLE objects DROP COLUMN btime_ns');
    raw.exec('ALTER TABLE objects DROP COLUMN target');
    raw.pragma('user_version = 2');
    raw.close();
    const idx = SqliteGfidIndex.open(p);
    try {
      expect(idx.quarantined).to.equal(undefined);
      expect(idx.objectOf(g)).to.deep.equal({ type: 'file', ino: 7n, btimeNs: null });
      const attrs: SyncedAttrs = { size: 1, mtimeNs: 2n, ctimeNs: 3n, mode: 0o100644, uid: 0, gid: 0 };
      idx.setRecorded(g, attrs, 7n, 99n);
      expect(idx.objectOf(g)?.btimeNs).to.equal(99n);
    } finally {
      idx.close();
    }
  });

  it('opens a version-3 database in place: every gfid kept, symlink targets unknown until seen', () => {
    const p = path.join(dir, 'index.db');
    const old = SqliteGfidIndex.open(p);
    const g = old.create('symlink', 8n, at(ROOT_GFID, 'ln'));
    old.close();
    const raw = new Database(p);
    raw.exec('ALTER TABLE objects DROP COLUMN target');
    raw.exec('ALTER TABLE names DROP COLUMN synced');
    raw.pragma('user_version = 3');
    raw.close();
    const idx = SqliteGfidIndex.open(p);
    try {
      expect(idx.quarantined).to.equal(undefined);
      expect(idx.targetOf(g)).to.equal(undefined);
      expect(idx.lookup(ROOT_GFID, Buffer.from('ln'))?.nameSynced).to.equal(false);
      idx.markNameSynced(g, at(ROOT_GFID, 'ln'));
      expect(idx.lookup(ROOT_GFID, Buffer.from('ln'))?.nameSynced).to.equal(true);
      expect(idx.lookup(ROOT_GFID, Buffer.from('ln'))?.target).to.equal(null);
      idx.setTarget(g, Buffer.from('there'));
      expect(idx.targetOf(g)?.toString()).to.equal('there');
      expect(idx.lookup(ROOT_GFID, Buffer.from('ln'))?.target?.toString()).to.equal('there');
    } finally {
      idx.close();
    }
  });

  it('quarantines a database with a schema version no georep writes', () => {
    const p = path.join(dir, 'index.db');
    SqliteGfidIndex.open(p).close();
    const raw = new Database(p);
    raw.pragma('user_version = -1');
    raw.close();
    const idx = SqliteGfidIndex.open(p, { clock: { nowMs: () => 7 } });
    idx.close();
    expect(idx.quarantined).to.equal(`${p}.corrupt-${quarantineStamp(7)}`);
  });

  it('refuses a database a newer georep wrote (STATE_TOO_NEW) and leaves it where it is', () => {
    const p = path.join(dir, 'index.db');
    SqliteGfidIndex.open(p).close();
    const raw = new Database(p);
    raw.pragma('user_version = 99');
    raw.close();
    const before = fs.readFileSync(p);
    expect(codeOf(() => SqliteGfidIndex.open(p, { clock: { nowMs: () => 7 } }))).to.equal('STATE_TOO_NEW');
    expect(fs.readdirSync(dir).filter((n) => n.includes('corrupt'))).to.deep.equal([]);
    expect(fs.readFileSync(p).equals(before)).to.equal(true);
  });

  /** A file-backed index with 5000 entries whose data pages get damaged after it opened. */
  function openThenDamage(p: string): SqliteGfidIndex {
    const setup = SqliteGfidIndex.open(p);
    setup.transaction(() => {
      for (let i = 0; i < 5000; i++) setup.create('file', BigInt(i), at(ROOT_GFID, `some-longer-file-name-${i}`));
    });
    setup.close();
    // Without quick_check, which would leave every page in this connection's cache.
    const idx = SqliteGfidIndex.open(p, { clock: { nowMs: () => 42 }, check: false });
    expect(idx.quarantined).to.equal(undefined);
    // Every page past the schema and root pages; the open connection has not read them yet.
    const fd = fs.openSync(p, 'r+');
    const size = fs.fstatSync(fd).size;
    for (let off = 16 * 4096; off < size; off += 4096) fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, off);
    fs.closeSync(fd);
    return idx;
  }

  for (const inTransaction of [false, true]) {
    it(`condemns a database a query finds corrupt${inTransaction ? ' inside a transaction' : ''}; the next open quarantines it`, () => {
      const p = path.join(dir, 'index.db');
      const idx = openThenDamage(p);
      try {
        const scan = (): unknown => idx.children(ROOT_GFID);
        expect(codeOf(inTransaction ? () => idx.transaction(scan) : scan)).to.equal('STATE_CORRUPT');
        // Not moved while open: another process may have it open too.
        expect(fs.existsSync(`${p}.condemned`)).to.equal(true);
        expect(fs.readdirSync(dir).filter((n) => n.includes('.corrupt-'))).to.deep.equal([]);
        // This connection refuses to go on writing into a condemned file.
        expect(codeOf(() => idx.transaction(() => idx.setMeta('brake.cause', 'v')))).to.equal('STATE_CORRUPT');
      } finally {
        idx.close();
      }
      const again = SqliteGfidIndex.open(p, { clock: { nowMs: () => 42 } });
      try {
        expect(again.quarantined).to.equal(`${p}.corrupt-${quarantineStamp(42)}`);
        expect(fs.existsSync(`${p}.condemned`)).to.equal(false);
        expect(again.count()).to.equal(0);
        const f = again.transaction(() => again.create('file', 1n, at(ROOT_GFID, 'fresh')));
        expect(again.lookup(ROOT_GFID, Buffer.from('fresh'))?.gfid).to.equal(f);
      } finally {
        again.close();
      }
    });
  }

  it('quarantines at open a database whose damage only quick_check finds', () => {
    const p = path.join(dir, 'index.db');
    openThenDamage(p).close();
    const idx = SqliteGfidIndex.open(p, { clock: { nowMs: () => 43 } });
    try {
      expect(idx.quarantined).to.equal(`${p}.corrupt-${quarantineStamp(43)}`);
      expect(idx.count()).to.equal(0);
    } finally {
      idx.close();
    }
  });

  it('a connection to a file another process moved aside ends with STATE_CORRUPT, never writing into it', () => {
    const p = path.join(dir, 'index.db');
    const a = SqliteGfidIndex.open(p);
    try {
      a.setMeta('brake.cause', 'before');
      fs.renameSync(p, `${p}.elsewhere`);
      SqliteGfidIndex.open(p).close(); // the other process's fresh file
      expect(codeOf(() => a.transaction(() => a.setMeta('brake.cause', 'after')))).to.equal('STATE_CORRUPT');
      expect(fs.existsSync(`${p}.condemned`), 'the new file stays sound').to.equal(false);
    } finally {
      a.close();
    }
  });

  it('does not overwrite an earlier quarantined file of the same millisecond', () => {
    const p = path.join(dir, 'index.db');
    const clock = { nowMs: () => 5 };
    fs.writeFileSync(p, Buffer.alloc(4096, 1));
    SqliteGfidIndex.open(p, { clock }).close();
    fs.writeFileSync(p, Buffer.alloc(4096, 2));
    const idx = SqliteGfidIndex.open(p, { clock });
    idx.close();
    const first = `${p}.corrupt-${quarantineStamp(5)}`;
    expect(idx.quarantined).to.equal(`${first}.1`);
    expect(fs.readFileSync(first)[0]).to.equal(1);
    expect(fs.readFileSync(`${first}.1`)[0]).to.equal(2);
  });
});
