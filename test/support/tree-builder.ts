// Tree builders for e2e tests: an "awkward" tree holding every trap a replicator must get
// right (odd name bytes at the top and deep down, links of each kind, hard-link groups spread
// over far-apart directories, sparse and big files, modes, ns mtimes, a FIFO), plus re-exports
// of the bulk (benchmark) builder and the mutation helpers.

import * as fs from 'node:fs';
import * as net from 'node:net';
import { joinBytes, makeFifo, SeededBytes, setTimesNs, toBytes } from './tree-bytes.js';
import type { NsTime, RelPath } from './tree-bytes.js';

export { buildBulkTree } from './tree-bulk.js';
export type { BulkOptions, BulkSummary } from './tree-bulk.js';
export { mutate, replaceSymlinkOps, retargetOps, retargetSymlink } from './tree-mutate.js';
export type { MutateOp } from './tree-mutate.js';

const MiB = 1024 * 1024;

/** Names in the awkward tree that tests refer to (relative to its root). */
export const AWKWARD = {
  space: 'with space.txt',
  newline: 'new\nline',
  dash: '-rf',
  backslash: 'back\\slash',
  percent: '%41',
  nfc: Buffer.from('\u00e9', 'utf8'), // c3 a9
  nfd: Buffer.from('e\u0301', 'utf8'), // 65 cc 81
  long255: 'L'.repeat(255),
  long255Multibyte: '\u65e5'.repeat(85), // 85 × 3 bytes = 255
  nonUtf8File: Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x62]), // "f\xff\xfe.b"
  nonUtf8Dir: Buffer.from([0xff, 0xfe, 0x2d, 0x64]), // "\xff\xfe-d"
  emptyDir: 'empty-dir',
  emptyFile: 'empty-file',
  deep: 'nested/a/b/c/deep.txt',
  hardLinks: ['hard/one', 'hard/two', 'nested/a/three'],
  symlinkToFile: 'links/to-file',
  symlinkDangling: 'links/dangling',
  symlinkToDir: 'links/to-dir',
  symlinkNewline: 'links/nl-target',
  newlineTarget: 'line1\nline2',
  sparse: 'sparse.bin',
  big: 'big.bin',
  mode0600: 'modes/m0600',
  mode0755: 'modes/m0755',
  mode0444: 'modes/m0444',
  privateDir: 'modes/private',
  fifo: 'fifo',
  // Names that other programs misread, at the top and deep down (DESIGN: a name is bytes):
  // rsync's --files-from skips lines starting with '#' or ';', a leading '-' reads as an
  // option, and '..dots' is a name, not the parent.
  hash: '#hash',
  semicolon: ';semi',
  dashDash: '--dd',
  dotDots: '..dots',
  threeDots: '...',
  /** A top-level directory whose name starts with '..', with a file below it. */
  dotDotDir: '..config',
  dotDotDirFile: '..config/inner',
  /** A top-level directory named like a comment: everything below it is lost to a bare --files-from. */
  hashDir: '#dir',
  hashDirFiles: ['#dir/inner.txt', '#dir/;sub/..deeper'],
  deepDir: 'nested/a/b/c',
  deepHash: 'nested/a/b/c/#hash',
  deepSemicolon: 'nested/a/b/c/;semi',
  deepDash: 'nested/a/b/c/-rf',
  deepDashDash: 'nested/a/b/c/--dd',
  deepDotDots: 'nested/a/b/c/..dots',
  deepThreeDots: 'nested/a/b/c/...',
  deepSpace: 'nested/a/b/c/with space.txt',
  deepNewline: 'nested/a/b/c/new\nline',
  deepNonUtf8: Buffer.from('nested/a/b/c/\xff\xfe-deep', 'latin1'),
  deepLong255: `nested/a/b/c/${'D'.repeat(255)}`,
  deepEmptyFile: 'nested/a/b/c/empty',
  deepEmptyDir: 'nested/a/b/c/#empty-dir',
  deepSparse: 'nested/a/b/c/sparse.bin',
  /** Symlinks with awkward names and targets, at the top and deep: tests retarget them. */
  symlinkRoot: '#link',
  symlinkRootTarget: '..dots',
  symlinkDeep: 'nested/a/b/c/;link',
  symlinkDeepTarget: '../../../../#dir/inner.txt',
  /**
   * One inode under four names in far-apart directories (the first and last a crawl visits,
   * children sorted by bytes), so a small crawl batch puts each name into another batch.
   */
  farLinks: ['..far', '#dir/;far', 'nested/a/b/c/#far', Buffer.from('\xff\xfe-d/-far', 'latin1')],
  /** Given away to other users when the builder runs as root (see OWNERS). */
  owned: ['modes/m0600', 'links/to-dir', 'modes/private'],
} as const;

/** uid:gid given to AWKWARD.owned entries, in order, when running as root. */
export const OWNERS: readonly (readonly [number, number])[] = [
  [1234, 2345],
  [3456, 4567],
  [1234, 1234],
];

export interface AwkwardOptions {
  /** Size of the pseudo-random big file (default 50 MiB). */
  readonly bigFileBytes?: number;
  /** Apparent size of the sparse file (default 64 MiB; at least 64 KiB). */
  readonly sparseBytes?: number;
  readonly seed?: number;
  /** Create the FIFO (default true). */
  readonly fifo?: boolean;
  /** Give AWKWARD.owned entries to other uids/gids (default: when running as root). */
  readonly owners?: boolean;
}

function writeFile(root: string, rel: RelPath, content: string | Buffer, mode?: number): void {
  const p = joinBytes(root, rel);
  fs.writeFileSync(p, content);
  if (mode !== undefined) fs.chmodSync(p, mode);
}

function mkParents(root: string, rel: RelPath): void {
  const p = joinBytes(root, rel);
  fs.mkdirSync(p.subarray(0, p.lastIndexOf(0x2f)), { recursive: true });
}

/** Every hard-link group of the awkward tree (each: the names of one inode). */
export const AWKWARD_LINK_GROUPS: readonly (readonly RelPath[])[] = [AWKWARD.hardLinks, AWKWARD.farLinks];

function writeBig(p: Buffer, size: number, rnd: SeededBytes): void {
  const fd = fs.openSync(p, 'w');
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(4 * MiB, size - done);
      fs.writeSync(fd, rnd.next(n), 0, n, done);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A file of `size` apparent bytes holding only four 4 KiB blocks of data. */
function writeSparse(p: Buffer, size: number, rnd: SeededBytes): void {
  const fd = fs.openSync(p, 'w');
  try {
    fs.ftruncateSync(fd, size);
    for (const at of [0, Math.floor(size / 4), Math.floor(size / 2), size - 4096]) {
      fs.writeSync(fd, rnd.next(4096), 0, 4096, at - (at % 4096));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The k-th deterministic timestamp; the nanoseconds are never a multiple of 1000. */
export function awkwardTime(k: number): NsTime {
  return { sec: 1_600_000_000 + k * 61, nsec: ((123_456 + k * 7_654) % 999_999) * 1000 + 789 };
}

/** Sets every entry's times, children before parents (a parent's mtime moves with its names). */
function stampTree(dir: Buffer, counter: { k: number }): void {
  for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
    const p = joinBytes(dir, name);
    if (fs.lstatSync(p).isDirectory()) stampTree(p, counter);
    setTimesNs(p, awkwardTime(counter.k++));
  }
}

/** Builds the awkward tree into `root` (created if missing; should be empty). */
export function buildAwkwardTree(root: string, opts: AwkwardOptions = {}): void {
  const bigBytes = opts.bigFileBytes ?? 50 * MiB;
  const sparseBytes = Math.max(opts.sparseBytes ?? 64 * MiB, 64 * 1024);
  const rnd = new SeededBytes(opts.seed ?? 1);
  const A = AWKWARD;
  fs.mkdirSync(root, { recursive: true });
  for (const d of ['nested/a/b/c', 'hard', 'links', 'modes', A.emptyDir]) {
    fs.mkdirSync(joinBytes(root, d), { recursive: true });
  }
  fs.mkdirSync(joinBytes(root, A.nonUtf8Dir));

  writeFile(root, A.space, 'a file with spaces\n');
  writeFile(root, A.newline, 'newline in name\n');
  writeFile(root, A.dash, 'not an option\n');
  writeFile(root, A.backslash, 'backslash\n');
  writeFile(root, A.percent, 'percent-41, not "A"\n');
  writeFile(root, A.nfc, 'NFC e-acute\n');
  writeFile(root, A.nfd, 'NFD e + combining acute\n');
  writeFile(root, A.long255, '255 ASCII bytes of name\n');
  writeFile(root, A.long255Multibyte, '255 bytes of 3-byte UTF-8\n');
  writeFile(root, A.nonUtf8File, 'name is not UTF-8\n');
  writeFile(root, joinBytes(A.nonUtf8Dir, 'inner.txt'), 'inside a non-UTF-8 directory\n');
  writeFile(root, A.emptyFile, '');
  writeFile(root, A.deep, 'deep\n');

  for (const [rel, text] of [
    [A.hash, 'leading hash\n'],
    [A.semicolon, 'leading semicolon\n'],
    [A.dashDash, 'leading double dash\n'],
    [A.dotDots, 'leading dot dot\n'],
    [A.threeDots, 'three dots\n'],
    [A.dotDotDirFile, 'inside a directory named ..config\n'],
    ...A.hashDirFiles.map((f) => [f, `below #dir: ${f}\n`] as const),
    [A.deepHash, 'deep leading hash\n'],
    [A.deepSemicolon, 'deep leading semicolon\n'],
    [A.deepDash, 'deep leading dash\n'],
    [A.deepDashDash, 'deep leading double dash\n'],
    [A.deepDotDots, 'deep leading dot dot\n'],
    [A.deepThreeDots, 'deep three dots\n'],
    [A.deepSpace, 'deep space\n'],
    [A.deepNewline, 'deep newline\n'],
    [A.deepNonUtf8, 'deep non-UTF-8 name\n'],
    [A.deepLong255, 'deep 255-byte name\n'],
    [A.deepEmptyFile, ''],
  ] as const) {
    mkParents(root, rel);
    writeFile(root, rel, text);
  }
  fs.mkdirSync(joinBytes(root, A.deepEmptyDir));

  for (const [group, text] of [
    [A.hardLinks, 'one inode, three names\n'],
    [A.farLinks, 'one inode, four names in far-apart directories\n'],
  ] as const) {
    const [first, ...others] = group;
    writeFile(root, first, text);
    for (const other of others) fs.linkSync(joinBytes(root, first), joinBytes(root, other));
  }

  fs.symlinkSync(`../${A.space}`, joinBytes(root, A.symlinkToFile));
  fs.symlinkSync('does/not/exist', joinBytes(root, A.symlinkDangling));
  fs.symlinkSync('../nested', joinBytes(root, A.symlinkToDir));
  fs.symlinkSync(A.newlineTarget, joinBytes(root, A.symlinkNewline));
  fs.symlinkSync(A.symlinkRootTarget, joinBytes(root, A.symlinkRoot));
  fs.symlinkSync(A.symlinkDeepTarget, joinBytes(root, A.symlinkDeep));

  writeSparse(joinBytes(root, A.sparse), sparseBytes, rnd);
  writeSparse(joinBytes(root, A.deepSparse), sparseBytes, rnd);
  writeBig(joinBytes(root, A.big), bigBytes, rnd);

  writeFile(root, A.mode0600, 'rw owner only\n', 0o600);
  writeFile(root, A.mode0755, '#!/bin/sh\necho hi\n', 0o755);
  writeFile(root, A.mode0444, 'read only\n', 0o444);
  fs.mkdirSync(joinBytes(root, A.privateDir));
  writeFile(root, `${A.privateDir}/secret.txt`, 'secret\n', 0o600);
  fs.chmodSync(joinBytes(root, A.privateDir), 0o700);

  if (opts.fifo ?? true) makeFifo(joinBytes(root, A.fifo));
  if (opts.owners ?? process.getuid?.() === 0) {
    A.owned.forEach((rel, i) => {
      const [uid, gid] = OWNERS[i] ?? [0, 0];
      fs.lchownSync(joinBytes(root, rel), uid, gid);
    });
  }

  const counter = { k: 0 };
  stampTree(toBytes(root), counter);
  setTimesNs(toBytes(root), awkwardTime(counter.k));
}

/**
 * Creates a Unix socket file at `p` that outlives its server: Node unlinks a listening
 * socket's path on close, so the socket is renamed away from that path first.
 */
export async function makeSocket(p: string): Promise<void> {
  const tmp = `${p}.listen-${process.pid}`;
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, () => resolve());
  });
  fs.renameSync(tmp, p);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
