// The drift rule of the scheduled audit (drift-judge.ts) on a real master tree and a real
// session index (SQLite in memory): a divergence is drift only when nothing on the entry's path
// changed on the master since the sync time the audit began with (ctimes, read again now), and
// not when georep tracks it already (failure ledger, held deletes, ignore-deletes).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { CTIME_MARGIN_MS, DriftJudge } from '../../src/verify/drift-judge.js';
import type { EntryLine } from '../../src/verify/lines.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ctimeMs = (p: string): number => Number(fs.lstatSync(p, { bigint: true }).ctimeNs / 1_000_000n);

const line = (p: string, verdict: EntryLine['verdict'], gfid: Gfid | null = null): EntryLine => ({
  path: p,
  gfid,
  verdict,
  type: 'file',
  master: 'x',
  slave: 'y',
});

describe('verify/drift-judge', () => {
  let tmp: string;
  let root: string;
  let index: SqliteGfidIndex;
  const gfids = new Map<string, Gfid>();
  /** A sync time after every entry made in beforeEach and before every later change. */
  let settled: number;

  const judge = (opts: { settledMs?: number | undefined; ignoreDeletes?: boolean } = {}): DriftJudge =>
    new DriftJudge(
      {
        masterRoot: Buffer.from(root),
        index,
        held: index.heldDeletes(),
        ignoreDeletes: opts.ignoreDeletes ?? false,
      },
      'settledMs' in opts ? opts.settledMs : settled,
    );

  beforeEach(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-drift-')));
    root = path.join(tmp, 'master');
    index = SqliteGfidIndex.open(':memory:');
    gfids.clear();
    for (const d of ['a', 'b']) {
      fs.mkdirSync(path.join(root, d), { recursive: true });
      const g = index.create('dir', BigInt(fs.statSync(path.join(root, d)).ino), {
        pargfid: ROOT_GFID,
        name: Buffer.from(d),
      });
      gfids.set(d, g);
      for (const f of ['x', 'y']) {
        fs.writeFileSync(path.join(root, d, f), f);
        const ino = BigInt(fs.statSync(path.join(root, d, f)).ino);
        gfids.set(`${d}/${f}`, index.create('file', ino, { pargfid: g, name: Buffer.from(f) }));
      }
    }
    // Every entry so far is older than the sync time by the margin; what follows is newer.
    const newest = Math.max(...['', 'a', 'b', 'a/x', 'a/y', 'b/x', 'b/y'].map((p) => ctimeMs(path.join(root, p))));
    settled = newest + CTIME_MARGIN_MS + 50;
    while (Date.now() <= newest + 150) await sleep(10);
  });
  afterEach(() => {
    index.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('counts a divergence of an entry unchanged since the sync time as drift', () => {
    const j = judge();
    expect(j.judge(line('a/x', 'content', gfids.get('a/x')))).to.equal('drift');
    expect(j.judge(line('b/y', 'missing', gfids.get('b/y')))).to.equal('drift');
    expect(j.judge(line('a', 'mtime', gfids.get('a')))).to.equal('drift');
    expect(j.judge(line('.', 'mtime', ROOT_GFID))).to.equal('drift');
    expect(j.judge(line('b/gone', 'extra'))).to.equal('drift');
  });

  it('says nothing is drift before the first sync', () => {
    expect(judge({ settledMs: undefined }).judge(line('a/x', 'missing', gfids.get('a/x')))).to.equal('in-flight');
  });

  it('leaves out an entry changed after the sync time, or whose directory changed', () => {
    fs.writeFileSync(path.join(root, 'a', 'x'), 'rewritten'); // its own ctime
    fs.writeFileSync(path.join(root, 'b', 'new'), 'new'); // b's ctime: every entry of b
    const j = judge();
    expect(j.judge(line('a/x', 'content', gfids.get('a/x')))).to.equal('in-flight');
    expect(j.judge(line('a/y', 'content', gfids.get('a/y')))).to.equal('drift');
    expect(j.judge(line('b/y', 'missing', gfids.get('b/y')))).to.equal('in-flight');
    expect(j.judge(line('b/new', 'missing'))).to.equal('in-flight');
    // An entry the slave has and the master deleted since: its directory changed.
    fs.rmSync(path.join(root, 'a', 'y'));
    expect(judge().judge(line('a/y', 'extra'))).to.equal('in-flight');
  });

  it('leaves out everything below a directory renamed since the sync time (old ctimes inside)', () => {
    fs.renameSync(path.join(root, 'a'), path.join(root, 'a2'));
    const j = judge();
    expect(j.judge(line('a2/x', 'missing'))).to.equal('in-flight');
    // The old name, still on the slave: the root changed.
    expect(j.judge(line('a', 'extra', null))).to.equal('in-flight');
  });

  it('reads the master again: an entry that appeared or went since the walk read it is in flight', () => {
    const j = judge();
    // The walk saw no b/late on the master (extra); it is there now (made after the sync time).
    fs.writeFileSync(path.join(root, 'b', 'late'), 'late');
    expect(j.judge(line('b/late', 'extra'))).to.equal('in-flight');
    // The walk saw a/x; it is gone now.
    fs.rmSync(path.join(root, 'a', 'x'));
    expect(judge().judge(line('a/x', 'content', gfids.get('a/x')))).to.equal('in-flight');
  });

  it('counts what the failure ledger or the brake tracks as known, and extras under ignore-deletes', () => {
    const now = Date.now();
    const ledger = (g: Gfid | undefined): void =>
      index.ledgerRecord(
        { gfid: g as Gfid, path: 'p', code: 'EPERM', errno: 'EPERM', message: 'denied', changeMs: now },
        now,
        now + 1000,
      );
    ledger(gfids.get('a/x'));
    ledger(gfids.get('b')); // a directory: everything below it
    index.heldDeletes().hold(
      [
        {
          gfid: gfids.get('a/y') as Gfid,
          entry: { pargfid: gfids.get('a') as Gfid, name: Buffer.from('held') },
          dir: false,
          changeMs: now,
        },
      ],
      now,
    );
    const j = judge();
    expect(j.judge(line('a/x', 'content', gfids.get('a/x')))).to.equal('known');
    expect(j.judge(line('b/y', 'missing', gfids.get('b/y')))).to.equal('known');
    expect(j.judge(line('a/held', 'extra'))).to.equal('known');
    expect(j.judge(line('a/other', 'extra'))).to.equal('drift');
    expect(judge({ ignoreDeletes: true }).judge(line('a/other', 'extra'))).to.equal('known');
  });
});
