// Tests for the tree builders and mutations: the awkward tree really holds each trap, the bulk
// tree hits its counts and byte total deterministically, and each mutation does what it says.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import {
  AWKWARD,
  AWKWARD_LINK_GROUPS,
  OWNERS,
  awkwardTime,
  buildAwkwardTree,
  buildBulkTree,
  mutate,
  replaceSymlinkOps,
  retargetSymlink,
} from './tree-builder.js';
import { joinBytes, nsOf } from './tree-bytes.js';
import type { RelPath } from './tree-bytes.js';
import { compareTrees } from './tree-compare.js';
import { walkTree } from './tree-walk.js';

const MiB = 1024 * 1024;

describe('support/tree-builder', function () {
  let tmp: string;
  let root: string;
  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-build-'));
    root = path.join(tmp, 'awkward');
    buildAwkwardTree(root, { bigFileBytes: 5 * MiB + 3, sparseBytes: 16 * MiB });
  });
  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const st = (rel: RelPath): fs.BigIntStats => fs.lstatSync(joinBytes(root, rel), { bigint: true });

  it('creates each awkward name as its own entry, byte for byte', function () {
    const top = fs.readdirSync(root, { encoding: 'buffer' }).map((b) => b.toString('hex'));
    for (const name of [AWKWARD.nfc, AWKWARD.nfd, AWKWARD.nonUtf8File, AWKWARD.nonUtf8Dir]) {
      expect(top).to.include(name.toString('hex'));
    }
    for (const name of [AWKWARD.space, AWKWARD.newline, AWKWARD.dash, AWKWARD.backslash, AWKWARD.percent]) {
      expect(top).to.include(Buffer.from(name).toString('hex'));
    }
    expect(Buffer.byteLength(AWKWARD.long255)).to.equal(255);
    expect(Buffer.byteLength(AWKWARD.long255Multibyte)).to.equal(255);
    expect(st(AWKWARD.long255).isFile() && st(AWKWARD.long255Multibyte).isFile()).to.equal(true);
    expect(st(joinBytes(AWKWARD.nonUtf8Dir, 'inner.txt')).isFile()).to.equal(true);
  });

  it('holds names that start with #, ;, -, --, .. at the top, below a #dir and deep down', function () {
    const A = AWKWARD;
    const top = fs.readdirSync(root);
    for (const name of [A.hash, A.semicolon, A.dash, A.dashDash, A.dotDots, A.threeDots, A.dotDotDir, A.hashDir]) {
      expect(top).to.include(name);
    }
    expect(st(A.hashDir).isDirectory() && st(A.dotDotDir).isDirectory()).to.equal(true);
    for (const rel of [A.dotDotDirFile, ...A.hashDirFiles]) expect(st(rel).isFile(), rel).to.equal(true);
    const deep = [A.deepHash, A.deepSemicolon, A.deepDash, A.deepDashDash, A.deepDotDots, A.deepThreeDots];
    for (const rel of [...deep, A.deepSpace, A.deepNewline, A.deepLong255]) {
      expect(rel.startsWith(`${A.deepDir}/`), rel).to.equal(true);
      expect(st(rel).isFile(), rel).to.equal(true);
    }
    expect(Buffer.byteLength(A.deepLong255.slice(A.deepDir.length + 1))).to.equal(255);
    expect(fs.readdirSync(joinBytes(root, A.deepDir), { encoding: 'buffer' }).map((b) => b.toString('hex'))).to.include(
      Buffer.from([0xff, 0xfe, 0x2d, 0x64, 0x65, 0x65, 0x70]).toString('hex'),
    );
    expect(st(A.deepNonUtf8).isFile()).to.equal(true);
    expect(st(A.deepEmptyFile).size).to.equal(0n);
    expect(fs.readdirSync(joinBytes(root, A.deepEmptyDir))).to.deep.equal([]);
    expect(fs.readlinkSync(joinBytes(root, A.symlinkRoot), 'utf8')).to.equal(A.symlinkRootTarget);
    expect(fs.readlinkSync(joinBytes(root, A.symlinkDeep), 'utf8')).to.equal(A.symlinkDeepTarget);
    expect(fs.statSync(joinBytes(root, A.symlinkDeep)).isFile(), 'the deep symlink resolves').to.equal(true);
  });

  it('spreads a hard-link group over the first and last directories a crawl visits', function () {
    const inos = AWKWARD.farLinks.map((p) => st(p).ino);
    expect(new Set(inos).size).to.equal(1);
    expect(st(AWKWARD.farLinks[0]).nlink).to.equal(BigInt(AWKWARD.farLinks.length));
    const dirs = AWKWARD.farLinks.map((p) => {
      const b = joinBytes(p);
      return b.subarray(0, Math.max(0, b.lastIndexOf(0x2f))).toString('latin1');
    });
    expect(new Set(dirs).size, 'every name in its own directory').to.equal(AWKWARD.farLinks.length);
    expect(dirs).to.include(''); // one at the top
    expect(dirs).to.include(AWKWARD.deepDir);
  });

  it('creates empty entries, links of every kind, a FIFO and a 3-name hard-link group', function () {
    expect(fs.readdirSync(joinBytes(root, AWKWARD.emptyDir))).to.deep.equal([]);
    expect(st(AWKWARD.emptyFile).size).to.equal(0n);
    expect(fs.readlinkSync(joinBytes(root, AWKWARD.symlinkNewline), 'utf8')).to.equal('line1\nline2');
    expect(fs.existsSync(joinBytes(root, AWKWARD.symlinkDangling))).to.equal(false);
    expect(fs.statSync(joinBytes(root, AWKWARD.symlinkToDir)).isDirectory()).to.equal(true);
    expect(fs.statSync(joinBytes(root, AWKWARD.symlinkToFile)).isFile()).to.equal(true);
    expect(st(AWKWARD.fifo).isFIFO()).to.equal(true);
    const inos = AWKWARD.hardLinks.map((p) => st(p).ino);
    expect(new Set(inos).size).to.equal(1);
    expect(st(AWKWARD.hardLinks[0]).nlink).to.equal(3n);
  });

  it('creates a sparse file and a big pseudo-random file of the asked sizes', function () {
    const sparse = st(AWKWARD.sparse);
    expect(sparse.size).to.equal(BigInt(16 * MiB));
    expect(Number(sparse.blocks * 512n)).to.be.below(1 * MiB);
    const big = st(AWKWARD.big);
    expect(big.size).to.equal(BigInt(5 * MiB + 3));
    const head = fs.readFileSync(joinBytes(root, AWKWARD.big)).subarray(0, 64 * 1024);
    expect(new Set(head).size, 'bytes look random').to.equal(256);
  });

  it('sets modes past the umask, owners when root, and mtimes to the nanosecond', function () {
    expect(Number(st(AWKWARD.mode0600).mode & 0o7777n)).to.equal(0o600);
    expect(Number(st(AWKWARD.mode0755).mode & 0o7777n)).to.equal(0o755);
    expect(Number(st(AWKWARD.mode0444).mode & 0o7777n)).to.equal(0o444);
    expect(Number(st(AWKWARD.privateDir).mode & 0o7777n)).to.equal(0o700);
    if (process.getuid?.() === 0) {
      AWKWARD.owned.forEach((rel, i) => expect([Number(st(rel).uid), Number(st(rel).gid)]).to.deep.equal(OWNERS[i]));
    }
    const entries = walkTree(root);
    const mtimes = new Set(entries.map((e) => e.st.mtimeNs));
    // Every entry got its own stamp (hard links share one inode, hence one stamp).
    const extraNames = AWKWARD_LINK_GROUPS.reduce((n, g) => n + g.length - 1, 0);
    expect(mtimes.size).to.equal(entries.length - extraNames);
    for (const e of entries) expect(e.st.mtimeNs % 1000n).to.equal(789n);
    expect(st('.').mtimeNs).to.equal(nsOf(awkwardTime(entries.length - 1)));
  });
});

describe('support/tree-bulk', function () {
  let tmp: string;
  beforeEach(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-bulk-'));
  });
  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('hits the file count, directory count and byte total, deterministically for a seed', function () {
    const opts = { files: 500, dirs: 20, totalBytes: 4 * MiB, seed: 9 };
    const a = buildBulkTree(path.join(tmp, 'a'), opts);
    buildBulkTree(path.join(tmp, 'b'), opts);
    expect(a).to.include({ files: 500, dirs: 20, bytes: 4 * MiB });
    const entries = walkTree(path.join(tmp, 'a'));
    expect(entries.filter((e) => e.type === 'file')).to.have.lengthOf(500);
    expect(entries.filter((e) => e.type === 'dir')).to.have.lengthOf(21);
    const total = entries.reduce((n, e) => n + (e.type === 'file' ? Number(e.st.size) : 0), 0);
    expect(total).to.equal(4 * MiB);
    expect(a.small, 'many small files').to.be.above(100);
    expect(a.largest, 'a heavy tail').to.be.above(64 * 1024);
    const diffs = compareTrees(path.join(tmp, 'a'), path.join(tmp, 'b')).filter((d) => d.what !== 'mtime');
    expect(diffs).to.deep.equal([]);
  });
});

describe('support/tree-mutate', function () {
  let tmp: string;
  let root: string;
  beforeEach(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-mutate-'));
    root = path.join(tmp, 't');
    buildAwkwardTree(root, { bigFileBytes: 64 * 1024, sparseBytes: 1 * MiB });
  });
  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const st = (rel: RelPath): fs.BigIntStats => fs.lstatSync(joinBytes(root, rel), { bigint: true });
  const read = (rel: RelPath): Buffer => fs.readFileSync(joinBytes(root, rel));

  it('rewrites same size within the same second: new content, new ns, same second', function () {
    const before = st(AWKWARD.backslash);
    const content = read(AWKWARD.backslash);
    mutate(root, [{ op: 'rewrite-same-second', path: AWKWARD.backslash }]);
    const after = st(AWKWARD.backslash);
    expect(after.size).to.equal(before.size);
    expect(read(AWKWARD.backslash)).not.to.deep.equal(content);
    expect(after.mtimeNs / 1_000_000_000n).to.equal(before.mtimeNs / 1_000_000_000n);
    expect(after.mtimeNs).not.to.equal(before.mtimeNs);
  });

  it('rewrites keeping mtime (cp -p): new content, identical mtime, moved ctime; works on non-UTF-8 names', function () {
    const before = st(AWKWARD.nonUtf8File);
    const content = read(AWKWARD.nonUtf8File);
    mutate(root, [{ op: 'rewrite-keep-mtime', path: AWKWARD.nonUtf8File }]);
    const after = st(AWKWARD.nonUtf8File);
    expect(read(AWKWARD.nonUtf8File)).not.to.deep.equal(content);
    expect(after.size).to.equal(before.size);
    expect(after.mtimeNs).to.equal(before.mtimeNs);
    expect(after.ctimeNs).not.to.equal(before.ctimeNs);
  });

  it('deletes, renames, replaces types, chmods and adds entries', function () {
    const movedIno = st(AWKWARD.mode0755).ino;
    mutate(root, [
      { op: 'delete', path: 'nested/a/b' },
      { op: 'rename', from: AWKWARD.mode0755, to: 'nested/moved' },
      { op: 'rename', from: 'links', to: 'links2' },
      { op: 'replace-dir-with-file', path: AWKWARD.emptyDir, content: 'file now' },
      { op: 'replace-file-with-dir', path: AWKWARD.percent },
      { op: 'chmod', path: AWKWARD.mode0444, mode: 0o640 },
      { op: 'set-mtime', path: 'hard', sec: 1_234_567_890, nsec: 987_654_321 },
      { op: 'add-file', path: 'x/y/z.txt', content: 'z', mode: 0o600 },
      { op: 'add-symlink', path: 'x/link', target: Buffer.from([0xff, 0x0a]) },
      { op: 'add-link', existing: AWKWARD.hardLinks[0], path: 'x/fourth' },
      { op: 'add-dir', path: 'x/empty' },
    ]);
    expect(fs.existsSync(joinBytes(root, 'nested/a/b'))).to.equal(false);
    expect(st('nested/moved').ino).to.equal(movedIno);
    expect(st('links2/to-dir').isSymbolicLink()).to.equal(true);
    expect(st(AWKWARD.emptyDir).isFile() && st(AWKWARD.percent).isDirectory()).to.equal(true);
    expect(Number(st(AWKWARD.mode0444).mode & 0o7777n)).to.equal(0o640);
    expect(st('hard').mtimeNs).to.equal(1_234_567_890_987_654_321n);
    expect(Number(st('x/y/z.txt').mode & 0o7777n)).to.equal(0o600);
    expect(fs.readlinkSync(joinBytes(root, 'x/link'), 'buffer')).to.deep.equal(Buffer.from([0xff, 0x0a]));
    expect(st('x/fourth').nlink).to.equal(4n);
    expect(st('x/empty').isDirectory()).to.equal(true);
  });

  it('retargets a symlink on its own inode (rm + ln -s), and by a rename over it on another', function () {
    const rootIno = st(AWKWARD.symlinkRoot).ino;
    const deepIno = st(AWKWARD.symlinkDeep).ino;
    const before = fs.readdirSync(joinBytes(root, AWKWARD.deepDir)).length;
    // Inode reuse is best effort (the allocator may pick another group, or another process may
    // take the freed inode first): what must hold is that the helper says truly whether it reused.
    const rootReused = retargetSymlink(joinBytes(root, AWKWARD.symlinkRoot), Buffer.from('..dotz'));
    const deepReused = retargetSymlink(joinBytes(root, AWKWARD.symlinkDeep), Buffer.from([0x23, 0xff]));
    mutate(root, replaceSymlinkOps(AWKWARD.symlinkToFile, 'elsewhere'));
    expect(fs.readlinkSync(joinBytes(root, AWKWARD.symlinkRoot), 'utf8')).to.equal('..dotz');
    expect(fs.readlinkSync(joinBytes(root, AWKWARD.symlinkDeep), 'buffer')).to.deep.equal(Buffer.from([0x23, 0xff]));
    expect(fs.readlinkSync(joinBytes(root, AWKWARD.symlinkToFile), 'utf8')).to.equal('elsewhere');
    expect([st(AWKWARD.symlinkRoot).ino === rootIno, st(AWKWARD.symlinkDeep).ino === deepIno]).to.deep.equal([
      rootReused,
      deepReused,
    ]);
    expect(fs.readdirSync(joinBytes(root, AWKWARD.deepDir)).length, 'no filler left behind').to.equal(before);
  });

  it('refuses a same-size rewrite of an empty file (it cannot differ)', function () {
    expect(() => mutate(root, [{ op: 'rewrite-same-second', path: AWKWARD.emptyFile }])).to.throw(/empty/);
  });
});
