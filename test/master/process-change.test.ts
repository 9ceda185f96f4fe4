// process_change's classify step for live changelogs: data is addressed by gfid, so a path
// that now holds another inode (the gfid moved and a new file took its name before the
// recorder caught up) is never read for it; the gfid is reported unresolved instead.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID, attrsOf } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { EntryChange, EntryName, Gfid } from '../../src/changelog/index.js';
import { ChangeClassifier } from '../../src/master/process-change.js';

describe('ChangeClassifier (changelog source)', () => {
  let root: string;
  let index: SqliteGfidIndex;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-classify-'));
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => {
    index.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const plant = (name: string, data: string) => {
    fs.writeFileSync(path.join(root, name), data);
    const ino = fs.statSync(path.join(root, name), { bigint: true }).ino;
    return index.create('file', ino, { pargfid: ROOT_GFID, name: Buffer.from(name) });
  };

  it('plans data for a gfid whose recorded path still holds its inode', () => {
    const g = plant('f', 'content');
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    c.add({ kind: 'D', gfid: g });
    const plan = c.plan('batch');
    expect(plan.dataOff.map((i) => i.gfid)).to.deep.equal([g]);
    expect(plan.unresolved).to.deep.equal([]);
  });

  it('replayed without its entry ops, an entry record still sends its directories their times', () => {
    fs.mkdirSync(path.join(root, 'd'));
    const d = index.create('dir', fs.statSync(path.join(root, 'd'), { bigint: true }).ino, {
      pargfid: ROOT_GFID,
      name: Buffer.from('d'),
    });
    const g = plant('f', 'x');
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    c.setEntryOps(false);
    c.add({
      kind: 'E',
      gfid: g,
      fop: 'RENAME',
      entry: { pargfid: d, name: Buffer.from('f') },
      to: { pargfid: ROOT_GFID, name: Buffer.from('f') },
    });
    const plan = c.plan('batch');
    expect(plan.entryOps).to.deep.equal([]);
    expect(plan.metaOps.map((m) => m.gfid).sort()).to.deep.equal([d, ROOT_GFID].sort());
  });

  it('never reads a path that now holds another inode; the gfid is unresolved', () => {
    const g = plant('f', 'old');
    fs.renameSync(path.join(root, 'f'), path.join(root, 'moved')); // not recorded yet
    fs.writeFileSync(path.join(root, 'f'), 'a different file');
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    c.add({ kind: 'D', gfid: g });
    const plan = c.plan('batch');
    expect(plan.dataOff).to.deep.equal([]);
    expect(plan.unresolved).to.deep.equal([g]);
  });

  it('skips UNLINK and RMDIR with ignore-deletes, and an RMDIR of a directory the master still has', () => {
    const file = plant('gone', 'x');
    fs.rmSync(path.join(root, 'gone'));
    fs.mkdirSync(path.join(root, 'd'));
    const dir = index.create('dir', fs.statSync(path.join(root, 'd'), { bigint: true }).ino, {
      pargfid: ROOT_GFID,
      name: Buffer.from('d'),
    });
    const records = [
      { kind: 'E', gfid: file, fop: 'UNLINK', entry: { pargfid: ROOT_GFID, name: Buffer.from('gone') } },
      { kind: 'E', gfid: dir, fop: 'RMDIR', entry: { pargfid: ROOT_GFID, name: Buffer.from('d') } },
    ] as const;
    const keep = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog', propagateDeletes: false });
    for (const r of records) keep.add(r);
    expect(keep.plan('b').entryOps).to.deep.equal([]);
    const normal = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    for (const r of records) normal.add(r);
    expect(normal.plan('b').entryOps.map((o) => o.op)).to.deep.equal(['UNLINK']);
  });

  it('marks each op that puts an entry at a name keepDeleted with ignore-deletes, and none without', () => {
    const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });
    const f = plant('f', 'x');
    fs.linkSync(path.join(root, 'f'), path.join(root, 'l'));
    index.link(f, at('l'));
    fs.mkdirSync(path.join(root, 'd'));
    const d = index.create('dir', fs.statSync(path.join(root, 'd'), { bigint: true }).ino, at('d'));
    fs.symlinkSync('f', path.join(root, 's'));
    const s = index.create('symlink', fs.lstatSync(path.join(root, 's'), { bigint: true }).ino, at('s'));
    const owned = { mode: 0o100644, uid: 0, gid: 0 };
    const records = [
      { kind: 'E', gfid: f, fop: 'CREATE', entry: at('f'), ...owned },
      { kind: 'E', gfid: d, fop: 'MKDIR', entry: at('d'), ...owned, mode: 0o40755 },
      { kind: 'E', gfid: s, fop: 'SYMLINK', entry: at('s') },
      { kind: 'E', gfid: f, fop: 'LINK', entry: at('l') },
      { kind: 'E', gfid: d, fop: 'RENAME', entry: at('e'), to: at('d') },
    ] as const;
    const kept = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog', propagateDeletes: false });
    const normal = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    for (const r of records) [kept, normal].forEach((c) => c.add(r));
    const flags = (c: ChangeClassifier) => c.plan('b').entryOps.map((o) => [o.op, 'keepDeleted' in o]);
    expect(flags(kept)).to.deep.equal(records.map((r) => [r.fop, true]));
    expect(flags(normal)).to.deep.equal(records.map((r) => [r.fop, false]));
  });

  it('marks an UNLINK or RMDIR gone when the master has no name of the gfid left, not when a hard link remains', () => {
    // The slave may hold the gfid elsewhere (its move there failed): gone drops every name it has of it.
    const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });
    const lone = plant('lone', 'x');
    const linked = plant('a', 'y');
    fs.linkSync(path.join(root, 'a'), path.join(root, 'b'));
    index.link(linked, at('b'));
    fs.mkdirSync(path.join(root, 'd'));
    const dir = index.create('dir', fs.statSync(path.join(root, 'd'), { bigint: true }).ino, at('d'));
    for (const name of ['lone', 'a', 'd']) fs.rmSync(path.join(root, name), { recursive: true });
    // As the recorder leaves its index after recording the removals.
    for (const name of ['lone', 'a', 'd']) index.unlink(at(name));
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    c.add({ kind: 'E', gfid: lone, fop: 'UNLINK', entry: at('lone') });
    c.add({ kind: 'E', gfid: linked, fop: 'UNLINK', entry: at('a') });
    c.add({ kind: 'E', gfid: dir, fop: 'RMDIR', entry: at('d') });
    expect(
      c.plan('b').entryOps.map((o) => [o.op, o.gfid, o.op === 'UNLINK' || o.op === 'RMDIR' ? (o.gone ?? false) : null]),
    ).to.deep.equal([
      ['UNLINK', lone, true],
      ['UNLINK', linked, false],
      ['RMDIR', dir, true],
    ]);
  });

  it('an UNLINK of a name of a file the recorder still has, moved again since, reports nothing unresolved', () => {
    // Nothing of the file is synced by an UNLINK: whether its other name is where the recorder
    // says is for the records that moved it.
    const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });
    const g = plant('a', 'y');
    fs.linkSync(path.join(root, 'a'), path.join(root, 'b'));
    index.link(g, at('b'));
    fs.rmSync(path.join(root, 'a'));
    index.unlink(at('a'));
    fs.renameSync(path.join(root, 'b'), path.join(root, 'c')); // not recorded yet
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    c.add({ kind: 'E', gfid: g, fop: 'UNLINK', entry: at('a') });
    const plan = c.plan('b');
    expect([plan.entryOps.map((o) => o.op), plan.unresolved]).to.deep.equal([['UNLINK'], []]);
  });

  it("sets the attributes of a hard-linked file's directories only where the slave has them", () => {
    // A crawl batch sends one name; the other name's directory is made by a later batch. A
    // setattr of it now failed with GFID_UNKNOWN, and the hybrid crawl then restarted forever.
    const dirOf = (name: string): Gfid => {
      fs.mkdirSync(path.join(root, name));
      const ino = fs.statSync(path.join(root, name), { bigint: true }).ino;
      return index.create('dir', ino, { pargfid: ROOT_GFID, name: Buffer.from(name) });
    };
    const [here, later, done] = [dirOf('here'), dirOf('later'), dirOf('done')];
    fs.writeFileSync(path.join(root, 'here', 'a'), 'linked');
    fs.linkSync(path.join(root, 'here', 'a'), path.join(root, 'later', 'b'));
    fs.linkSync(path.join(root, 'here', 'a'), path.join(root, 'done', 'c'));
    const ino = fs.statSync(path.join(root, 'here', 'a'), { bigint: true }).ino;
    const g = index.create('file', ino, { pargfid: here, name: Buffer.from('a') });
    index.link(g, { pargfid: later, name: Buffer.from('b') });
    index.link(g, { pargfid: done, name: Buffer.from('c') });
    index.markSynced(done, attrsOf(fs.lstatSync(path.join(root, 'done'), { bigint: true })));
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'crawl' });
    c.add({
      kind: 'E',
      gfid: g,
      fop: 'CREATE',
      mode: 0o100644,
      uid: 0,
      gid: 0,
      entry: { pargfid: here, name: Buffer.from('a') },
    });
    c.add({ kind: 'D', gfid: g });
    expect(c.plan('b').metaOps.map((o) => o.gfid)).to.have.members([here, done]);
  });

  it("reads a hard-linked file through another name when its first one is gone (a renamed directory's old name)", () => {
    fs.writeFileSync(path.join(root, 'z'), 'linked');
    const ino = fs.statSync(path.join(root, 'z'), { bigint: true }).ino;
    // 'a-gone' sorts first, so it is the gfid's path; its removal is not confirmed yet.
    const g = index.create('file', ino, { pargfid: ROOT_GFID, name: Buffer.from('a-gone') });
    index.link(g, { pargfid: ROOT_GFID, name: Buffer.from('z') });
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'crawl' });
    c.add({ kind: 'E', gfid: g, fop: 'LINK', entry: { pargfid: ROOT_GFID, name: Buffer.from('z') } });
    expect(c.plan('b').entryOps.map((o) => o.op)).to.deep.equal(['LINK']);
  });

  it("finds a crawl record's entry at the name the record gives, asking the index for no file's path", () => {
    // Batches that wait for a seed copy are classified without the crawl's lstat: a path query
    // per file was 1 s of a 50,000-entry first sync. Moved since: the index says where it is.
    fs.mkdirSync(path.join(root, 'd'));
    const d = index.create('dir', fs.statSync(path.join(root, 'd'), { bigint: true }).ino, {
      pargfid: ROOT_GFID,
      name: Buffer.from('d'),
    });
    const files = ['a', 'b', 'c'].map((name) => {
      fs.writeFileSync(path.join(root, 'd', name), name);
      const ino = fs.statSync(path.join(root, 'd', name), { bigint: true }).ino;
      return index.create('file', ino, { pargfid: d, name: Buffer.from(name) });
    });
    fs.renameSync(path.join(root, 'd', 'c'), path.join(root, 'd', 'c2'));
    index.rename({ pargfid: d, name: Buffer.from('c') }, { pargfid: d, name: Buffer.from('c2') });
    const { counted, asked } = counting(index, 'pathOf');
    const c = new ChangeClassifier(Buffer.from(root), counted, { source: 'crawl' });
    ['a', 'b', 'c'].forEach((name, i) => {
      const gfid = files[i] as Gfid;
      c.add(createRecord(gfid, { pargfid: d, name: Buffer.from(name) }));
      c.add({ kind: 'D', gfid });
    });
    const plan = c.plan('b');
    expect(plan.dataNs.map((i) => i.path.toString())).to.deep.equal(['d/a', 'd/b', 'd/c2']);
    expect(asked.filter((g) => g !== d)).to.deep.equal([files[2]]); // only the one moved since
  });

  it("with the recorder's names (live), never takes another object at a crawl record's name for the gfid", () => {
    // mv x x~ and a new x while the batch waited for the seed copy: the moved file got the new
    // one's content and was confirmed so (review of 3e23a54). The index knows where it went.
    const g = plant('x', 'original');
    fs.renameSync(path.join(root, 'x'), path.join(root, 'x~'));
    index.rename({ pargfid: ROOT_GFID, name: Buffer.from('x') }, { pargfid: ROOT_GFID, name: Buffer.from('x~') });
    fs.writeFileSync(path.join(root, 'x'), 'a new file');
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'crawl', namesElsewhere: true });
    c.add(createRecord(g, { pargfid: ROOT_GFID, name: Buffer.from('x') }));
    c.add({ kind: 'D', gfid: g });
    const plan = c.plan('b');
    expect(plan.dataNs.map((i) => i.path.toString())).to.deep.equal(['x~']);
    expect(plan.dataNs[0]?.size).to.equal('original'.length);
  });

  it('with the recorder behind (live), a crawl record whose name holds another object is unresolved, not read', () => {
    const g = plant('x', 'original');
    fs.renameSync(path.join(root, 'x'), path.join(root, 'x~')); // not recorded yet
    fs.writeFileSync(path.join(root, 'x'), 'a new file');
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'crawl', namesElsewhere: true });
    c.add(createRecord(g, { pargfid: ROOT_GFID, name: Buffer.from('x') }));
    c.add({ kind: 'D', gfid: g });
    const plan = c.plan('b');
    expect({ data: plan.dataNs.length, unresolved: plan.unresolved }).to.deep.equal({ data: 0, unresolved: [g] });
  });

  it('asks the index for no confirmed attrs of a waiting first-sync batch whose crawl saw nothing confirmed', () => {
    const g = plant('f', 'content');
    const { counted, asked } = counting(index, 'syncedOf');
    const c = new ChangeClassifier(Buffer.from(root), counted, { source: 'crawl', unconfirmed: true });
    c.add(createRecord(g, { pargfid: ROOT_GFID, name: Buffer.from('f') }));
    c.add({ kind: 'D', gfid: g });
    expect(c.plan('b').dataNs.map((i) => i.gfid)).to.deep.equal([g]);
    expect(asked).to.deep.equal([]);
  });

  it('sends a RENAME of a gfid the master has lost since, marked gone (its UNLINK names only the new name)', () => {
    const kept = plant('kept', 'x');
    const lost = plant('lost', 'y');
    fs.renameSync(path.join(root, 'kept'), path.join(root, 'kept2'));
    index.rename({ pargfid: ROOT_GFID, name: Buffer.from('kept') }, { pargfid: ROOT_GFID, name: Buffer.from('kept2') });
    fs.rmSync(path.join(root, 'lost')); // mv lost b; rm b: the recorder forgot the gfid
    index.unlink({ pargfid: ROOT_GFID, name: Buffer.from('lost') });
    const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });
    const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
    c.add({ kind: 'E', gfid: kept, fop: 'RENAME', entry: at('kept'), to: at('kept2') });
    c.add({ kind: 'E', gfid: lost, fop: 'RENAME', entry: at('lost'), to: at('b') });
    c.add({ kind: 'E', gfid: lost, fop: 'UNLINK', entry: at('b') });
    const ops = c.plan('batch').entryOps;
    expect(ops.map((o) => [o.op, o.gfid, o.op === 'RENAME' ? (o.gone ?? false) : null])).to.deep.equal([
      ['RENAME', kept, false],
      ['RENAME', lost, true],
      ['UNLINK', lost, null],
    ]);
    // With ignore-deletes the slave keeps it, at its last name: a plain rename (gone would drop
    // every slave name of it and what it replaced, deleting what the slave keeps on purpose).
    const keep = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog', propagateDeletes: false });
    keep.add({ kind: 'E', gfid: lost, fop: 'RENAME', entry: at('lost'), to: at('b') });
    keep.add({ kind: 'E', gfid: lost, fop: 'UNLINK', entry: at('b') });
    expect(keep.plan('batch').entryOps).to.deep.equal([
      {
        op: 'RENAME',
        gfid: lost,
        entry: { pargfid: ROOT_GFID, name: 'lost' },
        to: { pargfid: ROOT_GFID, name: 'b' },
        keepDeleted: true,
      },
    ]);
  });

  describe('what a batch may record as confirmed on the slave', () => {
    const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });
    const confirmSynced = (g: Gfid, name: string) =>
      index.markSynced(g, attrsOf(fs.lstatSync(path.join(root, name), { bigint: true })));

    it('a file whose data it sends', () => {
      const g = plant('f', 'v1');
      const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
      c.add({ kind: 'D', gfid: g });
      expect(c.plan('b').confirm.has(g)).to.equal(true);
    });

    it('not a file it only renames, whose content changed since it was confirmed', () => {
      const g = plant('f', 'v1');
      confirmSynced(g, 'f');
      fs.appendFileSync(path.join(root, 'f'), '+more'); // its D is in a batch that was lost
      fs.renameSync(path.join(root, 'f'), path.join(root, 'g'));
      index.rename(at('f'), at('g'));
      const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
      c.add({ kind: 'E', gfid: g, fop: 'RENAME', entry: at('f'), to: at('g') });
      const plan = c.plan('b');
      expect(plan.entryOps.map((o) => o.op)).to.deep.equal(['RENAME']);
      expect(plan.confirm.has(g)).to.equal(false);
    });

    it('a file whose attrs alone it sends only while its content is the confirmed one', () => {
      const same = plant('same', 'v1');
      const changed = plant('changed', 'v1');
      confirmSynced(same, 'same');
      confirmSynced(changed, 'changed');
      fs.chmodSync(path.join(root, 'same'), 0o600);
      fs.appendFileSync(path.join(root, 'changed'), '+more');
      fs.chmodSync(path.join(root, 'changed'), 0o600);
      const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
      c.add({ kind: 'M', gfid: same, fop: 'SETATTR' });
      c.add({ kind: 'M', gfid: changed, fop: 'SETATTR' });
      const plan = c.plan('b');
      expect(plan.metaOps.map((o) => o.gfid)).to.have.members([same, changed]);
      expect([plan.confirm.has(same), plan.confirm.has(changed)]).to.deep.equal([true, false]);
    });

    it('a directory it makes', () => {
      fs.mkdirSync(path.join(root, 'd'));
      const d = index.create('dir', fs.statSync(path.join(root, 'd'), { bigint: true }).ino, at('d'));
      const c = new ChangeClassifier(Buffer.from(root), index, { source: 'changelog' });
      c.add({ kind: 'E', gfid: d, fop: 'MKDIR', mode: 0o40755, uid: 0, gid: 0, entry: at('d') });
      expect(c.plan('b').confirm.has(d)).to.equal(true);
    });
  });
});

/** A crawl's CREATE record of a regular file at `entry`. */
function createRecord(gfid: Gfid, entry: EntryName): EntryChange {
  return { kind: 'E', gfid, fop: 'CREATE', mode: 0o100644, uid: 0, gid: 0, entry };
}

/** `index` with the gfid of each call of `method` recorded in `asked`. */
function counting(
  index: SqliteGfidIndex,
  method: 'pathOf' | 'syncedOf',
): { readonly counted: SqliteGfidIndex; readonly asked: string[] } {
  const asked: string[] = [];
  const counted = new Proxy(index, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = v.bind(target) as (...args: unknown[]) => unknown;
      return prop === method ? (g: Gfid) => (asked.push(g), fn(g)) : fn;
    },
  });
  return { counted, asked };
}
