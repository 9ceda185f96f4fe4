// WriteOrigins: which object a write at a name that changed objects before any look went to,
// from the order of the watcher's events and what its lstat found at each entry event.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ChangeHint, SeenEntry } from '../../../src/changelog/watch/change-source.js';
import { WriteOrigins } from '../../../src/changelog/recorder/write-origins.js';

const file = (ino: number, nlink = 2): SeenEntry => ({ ino: BigInt(ino), nlink: BigInt(nlink), file: true });

describe('WriteOrigins', () => {
  let tmp: string;
  let gone: string;
  let here: string;
  let hereIno: bigint;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-wo-'));
    gone = path.join(tmp, 'gone');
    here = path.join(tmp, 'here');
    fs.writeFileSync(here, 'x');
    hereIno = fs.lstatSync(here, { bigint: true }).ino;
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const entry = (p: string, found: SeenEntry | null | undefined): ChangeHint =>
    found === undefined ? { path: p, kind: 'delete' } : { path: p, kind: found === null ? 'delete' : 'create', found };
  const write = (p: string): ChangeHint => ({ path: p, kind: 'update' });
  /** Every hint received before the marker was written. */
  const decide = (o: WriteOrigins, hints: ChangeHint[]) => o.decide(hints, hints.length, hints.length);

  it('places a write at a new hard link removed before the look on the linked inode', () => {
    // ln a n; append n; rm n, the create seen by the watcher while n held a's inode.
    const v = decide(new WriteOrigins(), [entry(gone, file(7)), write(gone), entry(gone, null)]);
    expect([...v.inodes]).to.deep.equal([7n]);
    expect([...v.placed]).to.deep.equal([gone]);
    expect(v.blind).to.deep.equal([]);
  });

  it('reports a write blind when the watcher found nothing at the name it went through', () => {
    const v = decide(new WriteOrigins(), [entry(gone, null), write(gone), entry(gone, null)]);
    expect(v.blind).to.deep.equal([gone]);
    expect([...v.inodes]).to.deep.equal([]);
  });

  it('reports a write blind when what the watcher found may be a later object at the name', () => {
    // The create's callback ran after the name was removed and made again: it found the second
    // object, which the later callbacks no longer find; the first (which took the write) is unknown.
    const v = decide(new WriteOrigins(), [
      entry(gone, file(9, 1)),
      write(gone),
      entry(gone, null),
      entry(gone, null),
      entry(gone, null),
    ]);
    expect(v.blind).to.deep.equal([gone]);
    // ln a n; append n; mv b n with the create's callback after the move: it found b's inode,
    // as the move's did.
    const w = decide(new WriteOrigins(), [
      entry(here, { ...file(Number(hereIno), 1) }),
      write(here),
      entry(here, file(Number(hereIno), 1)),
    ]);
    expect(w.blind).to.deep.equal([here]);
  });

  it('places each write of a temporary name used twice, its inode handed out again', () => {
    const v = decide(new WriteOrigins(), [
      entry(gone, file(5, 1)),
      write(gone),
      entry(gone, null),
      entry(gone, file(5, 1)),
      write(gone),
      entry(gone, null),
    ]);
    expect(v.blind).to.deep.equal([]);
    expect([...v.inodes]).to.deep.equal([5n]);
  });

  it('places a write at a link another file was renamed over on the linked inode, not on the file there now', () => {
    const v = decide(new WriteOrigins(), [entry(here, file(7)), write(here), entry(here, file(Number(hereIno), 1))]);
    expect([...v.inodes]).to.deep.equal([7n]);
    expect([...v.placed]).to.deep.equal([here]);
    expect(v.blind).to.deep.equal([]);
  });

  it('leaves a write at a name that still holds what it went to to the look', () => {
    const v = decide(new WriteOrigins(), [entry(here, file(Number(hereIno), 1)), write(here)]);
    expect([...v.inodes]).to.deep.equal([]);
    expect(v.blind).to.deep.equal([]);
    // Without anything found (a source that does not lstat): the same.
    const w = decide(new WriteOrigins(), [{ path: here, kind: 'create' }, write(here)]);
    expect(w.blind).to.deep.equal([]);
  });

  it('ignores a write through a directory or symlink that came and went', () => {
    const dir: SeenEntry = { ino: 11n, nlink: 2n, file: false };
    const v = decide(new WriteOrigins(), [entry(gone, dir), write(gone), entry(gone, null)]);
    expect(v.blind).to.deep.equal([]);
    expect([...v.inodes]).to.deep.equal([]);
  });

  it('reports blind a write at a vanished name from a source that does not lstat', () => {
    const v = decide(new WriteOrigins(), [{ path: gone, kind: 'create' }, write(gone), { path: gone, kind: 'delete' }]);
    expect(v.blind).to.deep.equal([gone]);
  });

  it('waits for another marker when the lstats ran after this one was written, then places the write', () => {
    const o = new WriteOrigins();
    const hints = [entry(gone, file(7)), write(gone), entry(gone, null)];
    // Received after the marker was written (before it came back): the lstat may have shown
    // any state up to the marker's return and beyond.
    const v = o.decide(hints, 0, hints.length);
    expect(o.unsettled).to.equal(true);
    expect(v.blind).to.deep.equal([]);
    expect([...v.inodes]).to.deep.equal([]);
    const next = o.settle([]);
    expect([...next.inodes]).to.deep.equal([7n]);
    expect(o.unsettled).to.equal(false);
  });

  it('counts the entry events that came before the second marker came back when it settles', () => {
    // The create's lstat may have shown the object a later create (reported during the second
    // marker's wait) brought: the write cannot be placed.
    const o = new WriteOrigins();
    o.decide([entry(gone, file(7)), write(gone), entry(gone, null)], 0, 3);
    const v = o.settle([entry(gone, file(8, 1)), entry(gone, null)]);
    expect([...v.inodes]).to.deep.equal([]);
    expect(v.blind).to.deep.equal([gone]);
  });

  it('reports blind what waits for a marker when none can come (a stop)', () => {
    const o = new WriteOrigins();
    o.decide([entry(gone, null), write(gone), entry(gone, null)], 0, 3);
    expect(o.unsettled).to.equal(true);
    expect(o.decide([], 0, 0).blind).to.deep.equal([gone]);
    expect(o.unsettled).to.equal(false);
  });

  it("places a write reported in the next look's hints, its name's create in the last look's", () => {
    // The write and the removal came after the last marker was written, before that look's lstat.
    const o = new WriteOrigins();
    decide(o, [entry(gone, file(7))]);
    const v = decide(o, [write(gone), entry(gone, null)]);
    expect([...v.inodes]).to.deep.equal([7n]);
    expect(v.blind).to.deep.equal([]);
    // Not further back than one look.
    decide(o, [entry(gone, file(7))]);
    decide(o, []);
    expect([...decide(o, [write(gone), entry(gone, null)]).inodes]).to.deep.equal([]);
    // Nor for a source that found nothing out (it could only be blind: a reconcile per temp file).
    decide(o, [{ path: gone, kind: 'create' }]);
    expect(decide(o, [write(gone), { path: gone, kind: 'delete' }]).blind).to.deep.equal([]);
  });
});
