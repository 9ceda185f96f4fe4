// ChangelogWriter and reader: files appear only complete (no temp left behind), two files in
// one second get distinct names, listChangelogs orders by (ts, n), damage is reported by line.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogWriter } from '../../src/changelog/writer.js';
import { listChangelogs, readChangelog } from '../../src/changelog/reader.js';
import { ROOT_GFID } from '../../src/changelog/record.js';
import type { Change, Gfid } from '../../src/changelog/record.js';
import { thrown } from '../support/error-code.js';

const G = '0d15ea5e-0000-4000-8000-000000000001' as Gfid;
const H = '0d15ea5e-0000-4000-8000-000000000002' as Gfid;

const sample: readonly Change[] = [
  {
    kind: 'E',
    gfid: G,
    fop: 'MKDIR',
    mode: 0o40755,
    uid: 1000,
    gid: 1000,
    entry: { pargfid: ROOT_GFID, name: Buffer.from('dir one') },
  },
  {
    kind: 'E',
    gfid: H,
    fop: 'CREATE',
    mode: 0o100644,
    uid: 0,
    gid: 0,
    entry: { pargfid: G, name: Buffer.from([0xff, 0x0a, 0x41]) },
  },
  { kind: 'D', gfid: H },
  { kind: 'M', gfid: H, fop: 'SETATTR' },
  {
    kind: 'E',
    gfid: H,
    fop: 'RENAME',
    entry: { pargfid: G, name: Buffer.from([0xff, 0x0a, 0x41]) },
    to: { pargfid: ROOT_GFID, name: Buffer.from('日本') },
  },
];

function write(
  dir: string,
  prefix: 'CHANGELOG' | 'XSYNC-CHANGELOG',
  ts: number,
  changes: readonly Change[] = sample,
): string {
  const w = ChangelogWriter.open(dir, prefix, ts);
  for (const c of changes) w.append(c);
  return w.close();
}

describe('changelog writer and reader', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-writer-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes <prefix>.<ts> with the records and leaves no temp file', () => {
    const w = ChangelogWriter.open(dir, 'CHANGELOG', 1732270000);
    for (const c of sample) w.append(c);
    expect(w.count).to.equal(sample.length);
    // Not visible to a consumer before close.
    expect(listChangelogs(dir, 'CHANGELOG')).to.deep.equal([]);
    const bytes = w.bytes;
    const p = w.close();
    expect(p).to.equal(path.join(dir, 'CHANGELOG.1732270000'));
    expect(fs.readdirSync(dir)).to.deep.equal(['CHANGELOG.1732270000']);
    expect(fs.statSync(p).size).to.equal(bytes);
    expect(readChangelog(p)).to.deep.equal(sample);
  });

  it('flushes large files completely', () => {
    const many: Change[] = [];
    for (let i = 0; i < 20000; i++)
      many.push(i % 2 === 0 ? { kind: 'D', gfid: G } : { kind: 'M', gfid: H, fop: 'SETXATTR' });
    const p = write(dir, 'XSYNC-CHANGELOG', 5, many);
    expect(fs.statSync(p).size).to.be.above(64 * 1024 * 4);
    expect(readChangelog(p)).to.deep.equal(many);
  });

  it('gives files of the same second distinct names, in order', () => {
    const a = write(dir, 'CHANGELOG', 100, [{ kind: 'D', gfid: G }]);
    const b = write(dir, 'CHANGELOG', 100, [{ kind: 'D', gfid: H }]);
    const c = write(dir, 'CHANGELOG', 100, []);
    expect([a, b, c].map((p) => path.basename(p))).to.deep.equal([
      'CHANGELOG.100',
      'CHANGELOG.100.1',
      'CHANGELOG.100.2',
    ]);
    expect(readChangelog(a)).to.deep.equal([{ kind: 'D', gfid: G }]);
    expect(readChangelog(b)).to.deep.equal([{ kind: 'D', gfid: H }]);
    expect(readChangelog(c)).to.deep.equal([]);
  });

  it('does not clash when two writers of one second are open at once', () => {
    const w1 = ChangelogWriter.open(dir, 'CHANGELOG', 7);
    const w2 = ChangelogWriter.open(dir, 'CHANGELOG', 7);
    w1.append({ kind: 'D', gfid: G });
    w2.append({ kind: 'D', gfid: H });
    const p2 = w2.close();
    const p1 = w1.close();
    expect(p1).to.not.equal(p2);
    expect(readChangelog(p1)).to.deep.equal([{ kind: 'D', gfid: G }]);
    expect(readChangelog(p2)).to.deep.equal([{ kind: 'D', gfid: H }]);
  });

  it('lists by (ts, n) numerically, per prefix, ignoring other files', () => {
    for (const ts of [10, 9, 100, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]) write(dir, 'CHANGELOG', ts, []);
    write(dir, 'XSYNC-CHANGELOG', 1, []);
    fs.writeFileSync(path.join(dir, 'CHANGELOG.abc'), '');
    fs.writeFileSync(path.join(dir, 'CHANGELOG.010'), '');
    fs.writeFileSync(path.join(dir, '.CHANGELOG.11.123.ab.tmp'), '');
    const names = listChangelogs(dir, 'CHANGELOG').map((f) => f.name);
    expect(names).to.deep.equal([
      'CHANGELOG.9',
      'CHANGELOG.10',
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `CHANGELOG.10.${n}`),
      'CHANGELOG.100',
    ]);
    const x = listChangelogs(dir, 'XSYNC-CHANGELOG');
    expect(x).to.deep.equal([
      {
        prefix: 'XSYNC-CHANGELOG',
        ts: 1,
        seq: 0,
        name: 'XSYNC-CHANGELOG.1',
        path: path.join(dir, 'XSYNC-CHANGELOG.1'),
      },
    ]);
  });

  it('lists nothing for a missing directory', () => {
    expect(listChangelogs(path.join(dir, 'nope'), 'CHANGELOG')).to.deep.equal([]);
  });

  it('discard() leaves nothing behind', () => {
    const w = ChangelogWriter.open(dir, 'CHANGELOG', 3);
    w.append({ kind: 'D', gfid: G });
    w.discard();
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    expect(() => w.append({ kind: 'D', gfid: G })).to.throw();
  });

  it('rejects a bad name at append time, before anything is published', () => {
    const w = ChangelogWriter.open(dir, 'CHANGELOG', 3);
    const bad: Change = { kind: 'E', gfid: G, fop: 'UNLINK', entry: { pargfid: ROOT_GFID, name: Buffer.from('..') } };
    expect(thrown(() => w.append(bad)).code).to.equal('BAD_NAME');
    expect(w.count).to.equal(0);
    w.discard();
  });

  it('reports a bad record with its file and line', () => {
    const p = path.join(dir, 'CHANGELOG.1');
    fs.writeFileSync(p, `D ${G}\nM ${H} SETATTR\nD ${G} junk\n`);
    const e = thrown(() => readChangelog(p));
    expect(e.code).to.equal('CHANGELOG_MALFORMED');
    expect(e.message).to.include(`${p}:3`);
  });

  it('treats a missing final newline as a torn file', () => {
    const p = path.join(dir, 'CHANGELOG.2');
    fs.writeFileSync(p, `D ${G}\nD ${H}`);
    const e = thrown(() => readChangelog(p));
    expect(e.code).to.equal('CHANGELOG_MALFORMED');
    expect(e.message).to.include(`${p}:2`);
  });

  it('rejects bytes that are not UTF-8 instead of decoding them leniently', () => {
    const p = path.join(dir, 'CHANGELOG.3');
    fs.writeFileSync(
      p,
      Buffer.concat([Buffer.from(`D ${G}\nE ${G} UNLINK ${ROOT_GFID}/a`), Buffer.of(0xff), Buffer.from('\n')]),
    );
    const e = thrown(() => readChangelog(p));
    expect(e.code).to.equal('CHANGELOG_MALFORMED');
    expect(e.message).to.include(`${p}:2`);
  });

  it('reports a missing file as IO_ERROR with its errno', () => {
    const e = thrown(() => readChangelog(path.join(dir, 'CHANGELOG.404')));
    expect(e.code).to.equal('IO_ERROR');
    expect(e.errno).to.equal('ENOENT');
  });

  it('rejects a timestamp that is not whole seconds', () => {
    expect(thrown(() => ChangelogWriter.open(dir, 'CHANGELOG', 1.5)).code).to.equal('CONFIG_INVALID');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
