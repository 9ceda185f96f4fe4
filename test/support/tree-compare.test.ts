// Tests for compareTrees: a `cp -a` copy compares equal, and each kind of difference a
// replicator can leave behind is detected, alone, at the right path.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { AWKWARD, buildAwkwardTree, makeSocket } from './tree-builder.js';
import { assertTreesEqual, compareTrees } from './tree-compare.js';
import type { DiffKind } from './tree-compare.js';
import { copyTimesNs, displayPath, joinBytes, pathOfDisplay, splitBytes, timeOfNs, setTimesNs } from './tree-bytes.js';
import type { RelPath } from './tree-bytes.js';

const MiB = 1024 * 1024;

describe('support/tree-compare', function () {
  let tmp: string;
  let master: string;
  let slave: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-cmp-'));
    master = path.join(tmp, 'master');
    buildAwkwardTree(master, { bigFileBytes: 3 * MiB, sparseBytes: 8 * MiB });
  });
  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(function () {
    slave = fs.mkdtempSync(path.join(tmp, 'slave-'));
    fs.rmdirSync(slave);
    execFileSync('cp', ['-a', master, slave]);
  });

  const S = (rel: RelPath): Buffer => joinBytes(slave, rel);
  const M = (rel: RelPath): Buffer => joinBytes(master, rel);
  /** Puts the slave parent's times back to the master's, so only the intended change remains. */
  const restoreParent = (rel: RelPath): void => {
    const { dir } = splitBytes(joinBytes('.', rel));
    copyTimesNs(M(dir), S(dir));
  };
  const kinds = (): { path: string; what: DiffKind }[] =>
    compareTrees(master, slave).map((d) => ({ path: d.path, what: d.what }));

  it('finds no difference between a tree and its cp -a copy', function () {
    expect(compareTrees(master, slave)).to.deep.equal([]);
    expect(() => assertTreesEqual(master, slave)).not.to.throw();
  });

  it('detects one changed byte in a small file (same size, same mtime)', function () {
    const p = S(AWKWARD.space);
    const fd = fs.openSync(p, 'r+');
    fs.writeSync(fd, Buffer.from('A'), 0, 1, 0);
    fs.closeSync(fd);
    copyTimesNs(M(AWKWARD.space), p);
    expect(kinds()).to.deep.equal([{ path: AWKWARD.space, what: 'content' }]);
    // A walk without content (a benchmark's cheap poll) does not read it; a size change it sees.
    expect(compareTrees(master, slave, { content: false })).to.deep.equal([]);
    fs.appendFileSync(p, 'x');
    copyTimesNs(M(AWKWARD.space), p);
    expect(compareTrees(master, slave, { content: false }).map((d) => d.what)).to.deep.equal(['size']);
  });

  it('detects one changed byte deep inside a big file (streamed hash)', function () {
    const p = S(AWKWARD.big);
    const fd = fs.openSync(p, 'r+');
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, 2 * MiB + 5);
    b[0] = (b[0] ?? 0) ^ 1;
    fs.writeSync(fd, b, 0, 1, 2 * MiB + 5);
    fs.closeSync(fd);
    copyTimesNs(M(AWKWARD.big), p);
    expect(kinds()).to.deep.equal([{ path: AWKWARD.big, what: 'content' }]);
  });

  it('detects a missing file, named by its escaped non-UTF-8 bytes', function () {
    fs.unlinkSync(S(AWKWARD.nonUtf8File));
    restoreParent(AWKWARD.nonUtf8File);
    expect(kinds()).to.deep.equal([{ path: 'f\\xff\\xfe.b', what: 'missing' }]);
  });

  it('tells NFC from NFD: removing only the NFD name is reported alone', function () {
    fs.unlinkSync(S(AWKWARD.nfd));
    restoreParent(AWKWARD.nfd);
    expect(kinds()).to.deep.equal([{ path: displayPath(AWKWARD.nfd), what: 'missing' }]);
    expect(displayPath(AWKWARD.nfd)).to.equal('e\\xcc\\x81');
  });

  it('reads a displayed path back to its bytes (backslashes, \\xNN, non-UTF-8)', function () {
    const raw = Buffer.from([0x5c, 0x78, 0x41, 0x2f, 0x0a, 0xff, 0x20, 0x5c]); // \xA/<nl><ff> \\
    expect(displayPath(raw)).to.equal('\\\\xA/\\x0a\\xff \\\\');
    expect(pathOfDisplay(displayPath(raw))).to.deep.equal(raw);
    expect(pathOfDisplay(displayPath(AWKWARD.nfd))).to.deep.equal(Buffer.from(AWKWARD.nfd));
  });

  it('detects an extra file', function () {
    fs.writeFileSync(S('nested/a/extra.txt'), 'x');
    restoreParent('nested/a/extra.txt');
    expect(kinds()).to.deep.equal([{ path: 'nested/a/extra.txt', what: 'extra' }]);
  });

  it('ignores .georep at the slave root only', function () {
    fs.mkdirSync(S('.georep/staging'), { recursive: true });
    fs.writeFileSync(S('.georep/state.json'), '{}');
    fs.mkdirSync(S('nested/.georep'));
    restoreParent('.georep');
    restoreParent('nested/.georep');
    expect(kinds()).to.deep.equal([{ path: 'nested/.georep', what: 'extra' }]);
  });

  it('detects a mode difference on a file and on a directory', function () {
    fs.chmodSync(S(AWKWARD.mode0600), 0o640);
    fs.chmodSync(S(AWKWARD.privateDir), 0o750);
    expect(compareTrees(master, slave)).to.deep.equal([
      { path: AWKWARD.mode0600, what: 'mode', master: '0600', slave: '0640' },
      { path: AWKWARD.privateDir, what: 'mode', master: '0700', slave: '0750' },
    ]);
  });

  it('detects a one-nanosecond mtime difference on a file', function () {
    const st = fs.lstatSync(M(AWKWARD.deep), { bigint: true });
    setTimesNs(S(AWKWARD.deep), timeOfNs(st.mtimeNs + 1n));
    expect(kinds()).to.deep.equal([{ path: AWKWARD.deep, what: 'mtime' }]);
  });

  it('holds directories and symlinks to the nanosecond too', function () {
    const dirSt = fs.lstatSync(M('nested'), { bigint: true });
    const linkSt = fs.lstatSync(M(AWKWARD.symlinkDangling), { bigint: true });
    setTimesNs(S('nested'), timeOfNs(dirSt.mtimeNs + 1n));
    setTimesNs(S(AWKWARD.symlinkDangling), timeOfNs(linkSt.mtimeNs - 1n));
    expect(kinds()).to.deep.equal([
      { path: AWKWARD.symlinkDangling, what: 'mtime' },
      { path: 'nested', what: 'mtime' },
    ]);
  });

  it('leaves the slave root’s own mode and owner alone (the slave operator’s), not its mtime', function () {
    const rootSt = fs.lstatSync(slave, { bigint: true });
    fs.chmodSync(slave, 0o1777);
    if (process.getuid?.() === 0) fs.chownSync(slave, 4321, 4321);
    setTimesNs(Buffer.from(slave), timeOfNs(rootSt.mtimeNs));
    expect(kinds()).to.deep.equal([]);
    setTimesNs(Buffer.from(slave), timeOfNs(rootSt.mtimeNs + 1n));
    expect(kinds()).to.deep.equal([{ path: '.', what: 'mtime' }]);
  });

  it('detects a different symlink target (bytes, newlines included)', function () {
    fs.unlinkSync(S(AWKWARD.symlinkNewline));
    fs.symlinkSync('line1\nline3', S(AWKWARD.symlinkNewline));
    copyTimesNs(M(AWKWARD.symlinkNewline), S(AWKWARD.symlinkNewline));
    restoreParent(AWKWARD.symlinkNewline);
    expect(compareTrees(master, slave)).to.deep.equal([
      { path: AWKWARD.symlinkNewline, what: 'symlink-target', master: 'line1\\x0aline2', slave: 'line1\\x0aline3' },
    ]);
  });

  it('detects a broken hard-link group (one name became a separate copy)', function () {
    const two = AWKWARD.hardLinks[1];
    fs.unlinkSync(S(two));
    fs.copyFileSync(M(two), S(two));
    copyTimesNs(M(two), S(two));
    restoreParent(two);
    const diffs = compareTrees(master, slave);
    expect(diffs.map((d) => d.what)).to.deep.equal(['hardlinks', 'hardlinks']);
    expect(diffs[0]).to.deep.include({
      master: '{hard/one, hard/two, nested/a/three}',
      slave: '{hard/one, nested/a/three}',
    });
    expect(diffs[1]).to.deep.include({ path: two, slave: '{hard/two}' });
  });

  it('detects names hard-linked on the slave that are separate on the master', function () {
    fs.unlinkSync(S(AWKWARD.dash));
    fs.linkSync(S(AWKWARD.percent), S(AWKWARD.dash));
    restoreParent(AWKWARD.dash);
    const whats = compareTrees(master, slave).map((d) => d.what);
    expect(whats).to.include('hardlinks');
  });

  it('detects a type difference (a directory where a file was; a file where a FIFO was)', function () {
    fs.unlinkSync(S(AWKWARD.emptyFile));
    fs.mkdirSync(S(AWKWARD.emptyFile));
    fs.unlinkSync(S(AWKWARD.fifo));
    fs.writeFileSync(S(AWKWARD.fifo), '');
    restoreParent(AWKWARD.fifo);
    expect(compareTrees(master, slave)).to.deep.equal([
      { path: AWKWARD.emptyFile, what: 'type', master: 'file', slave: 'dir' },
      { path: AWKWARD.fifo, what: 'type', master: 'fifo', slave: 'file' },
    ]);
  });

  it('detects a sparse file copied dense', function () {
    fs.unlinkSync(S(AWKWARD.sparse));
    execFileSync('cp', ['--sparse=never', '-p', M(AWKWARD.sparse).toString(), S(AWKWARD.sparse).toString()]);
    copyTimesNs(M(AWKWARD.sparse), S(AWKWARD.sparse));
    restoreParent(AWKWARD.sparse);
    expect(kinds()).to.deep.equal([{ path: AWKWARD.sparse, what: 'sparse' }]);
  });

  it('detects a different size before hashing', function () {
    fs.appendFileSync(S(AWKWARD.percent), 'more');
    copyTimesNs(M(AWKWARD.percent), S(AWKWARD.percent));
    expect(compareTrees(master, slave)).to.deep.equal([
      { path: AWKWARD.percent, what: 'size', master: '20', slave: '24' },
    ]);
  });

  it('compares owners when asked (root only can chown)', function () {
    const root = process.getuid?.() === 0;
    if (root) fs.lchownSync(S(AWKWARD.deep), 4321, 4321);
    const diffs = compareTrees(master, slave, { owners: true }).map((d) => d.what);
    expect(diffs).to.deep.equal(root ? ['owner', 'group'] : []);
    expect(compareTrees(master, slave, { owners: false })).to.deep.equal([]);
  });

  it('expects master sockets to be absent on the slave unless told to compare them', async function () {
    await makeSocket(path.join(master, 'nested', 'sock'));
    try {
      copyTimesNs(M('nested'), S('nested'));
      expect(kinds()).to.deep.equal([]);
      expect(compareTrees(master, slave, { sockets: 'compare' }).map((d) => d.what)).to.deep.equal(['missing']);
    } finally {
      fs.unlinkSync(path.join(master, 'nested', 'sock'));
    }
  });

  it('assertTreesEqual lists at most 20 differences, readably', function () {
    for (let i = 0; i < 25; i++) fs.writeFileSync(S(`extra-${String(i).padStart(2, '0')}`), '');
    expect(() => assertTreesEqual(master, slave)).to.throw(/26 differences[\s\S]*extra-00: extra[\s\S]*and 6 more/);
  });
});
