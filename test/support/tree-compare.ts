// compareTrees: is the slave an exact mirror of the master? Walks both byte-exactly and reports
// every difference in names, types, content, symlink targets, hard-link groups, modes, mtimes,
// owners and sparseness. The slave's control folder (.georep at its root) is not compared, nor
// the slave root's own mode and owner (the slave operator's).

import { AssertionError } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { displayPath, joinBytes, toBytes } from './tree-bytes.js';
import { listNames, typeOf } from './tree-walk.js';
import type { EntryType } from './tree-walk.js';

export type DiffKind =
  | 'missing' // in the master, not in the slave
  | 'extra' // in the slave, not in the master
  | 'type'
  | 'size'
  | 'content'
  | 'symlink-target'
  | 'hardlinks' // the partition of names into inodes differs
  | 'mode'
  | 'mtime'
  | 'owner'
  | 'group'
  | 'sparse'; // the master file has holes; the slave copy filled them

export interface Difference {
  /** Relative path in escaped display form (see displayPath); '.' is the root. */
  readonly path: string;
  readonly what: DiffKind;
  readonly master: string;
  readonly slave: string;
}

export interface CompareOptions {
  /** Compare uid/gid (default: when running as root, since only root can chown). */
  readonly owners?: boolean;
  /** Names ignored at the slave root only (default ['.georep']). */
  readonly ignoreSlaveRoot?: readonly string[];
  /** 'skip' (default): master sockets are expected to be absent on the slave (georep skips them). */
  readonly sockets?: 'skip' | 'compare';
  /**
   * false: files of the same size are not read (sizes, mtimes to the ns, modes, links still
   * compared). A cheap poll for a benchmark's convergence, never a verdict on its own.
   */
  readonly content?: boolean;
}

/**
 * Every mtime must match to the nanosecond: rsync sets a file's with utimensat, and the slave
 * agent sets every other entry's the same way (native/georep_fs.c), no longer through Node's
 * utimes, whose seconds as a double lost the last digits.
 */
const NON_FILE_MTIME_SLACK_NS = 0n;
/** A sparse master file's copy may use this many more bytes of blocks than the master's. */
const SPARSE_SLACK_BYTES = 1024n * 1024n;
const HASH_CHUNK = 1024 * 1024;

interface Ctx {
  readonly diffs: Difference[];
  readonly owners: boolean;
  readonly ignoreSlaveRoot: ReadonlySet<string>;
  readonly skipSockets: boolean;
  readonly content: boolean;
  /** Per side: inode → display paths of the non-directory names sharing it. */
  readonly groups: { readonly master: Map<bigint, string[]>; readonly slave: Map<bigint, string[]> };
  /** Non-directory names present on both sides with the same type: their inodes. */
  readonly pairs: { readonly path: string; readonly mIno: bigint; readonly sIno: bigint }[];
}

const fmtNs = (ns: bigint): string => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
const fmtMode = (m: bigint): string => `0${(m & 0o7777n).toString(8)}`;

function sha256File(p: Buffer): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(HASH_CHUNK);
  const fd = fs.openSync(p, 'r');
  try {
    for (let n = fs.readSync(fd, buf, 0, HASH_CHUNK, null); n > 0; n = fs.readSync(fd, buf, 0, HASH_CHUNK, null)) {
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function push(ctx: Ctx, rel: Buffer, what: DiffKind, master: string, slave: string): void {
  ctx.diffs.push({ path: rel.length === 0 ? '.' : displayPath(rel), what, master, slave });
}

function compareFile(ctx: Ctx, rel: Buffer, m: Buffer, s: Buffer, ms: BigIntStats, ss: BigIntStats): void {
  if (ms.blocks * 512n < ms.size && ss.blocks * 512n > ms.blocks * 512n + SPARSE_SLACK_BYTES) {
    push(ctx, rel, 'sparse', `${ms.blocks * 512n} bytes allocated`, `${ss.blocks * 512n} bytes allocated`);
  }
  if (ms.size !== ss.size) {
    push(ctx, rel, 'size', String(ms.size), String(ss.size));
    return;
  }
  if (!ctx.content) return;
  const mh = sha256File(m);
  const sh = sha256File(s);
  if (mh !== sh) push(ctx, rel, 'content', `sha256 ${mh.slice(0, 16)}…`, `sha256 ${sh.slice(0, 16)}…`);
}

function compareMeta(ctx: Ctx, rel: Buffer, type: EntryType, ms: BigIntStats, ss: BigIntStats): void {
  // The slave root's own mode and owner are the slave operator's, never replicated (a root made
  // writable for others would let them swap the agent's .georep): only its mtime is compared.
  const isRoot = rel.length === 0;
  // A symlink's own mode is always 0777 on Linux and cannot be changed: nothing to compare.
  if (!isRoot && type !== 'symlink' && (ms.mode & 0o7777n) !== (ss.mode & 0o7777n)) {
    push(ctx, rel, 'mode', fmtMode(ms.mode), fmtMode(ss.mode));
  }
  const delta = ms.mtimeNs > ss.mtimeNs ? ms.mtimeNs - ss.mtimeNs : ss.mtimeNs - ms.mtimeNs;
  if (delta > (type === 'file' ? 0n : NON_FILE_MTIME_SLACK_NS)) {
    push(ctx, rel, 'mtime', fmtNs(ms.mtimeNs), fmtNs(ss.mtimeNs));
  }
  if (!isRoot && ctx.owners && ms.uid !== ss.uid) push(ctx, rel, 'owner', String(ms.uid), String(ss.uid));
  if (!isRoot && ctx.owners && ms.gid !== ss.gid) push(ctx, rel, 'group', String(ms.gid), String(ss.gid));
}

function compareEntry(ctx: Ctx, rel: Buffer, m: Buffer, s: Buffer, ms: BigIntStats, ss: BigIntStats): void {
  const type = typeOf(ms);
  const stype = typeOf(ss);
  if (type !== stype) {
    push(ctx, rel, 'type', type, stype);
    return;
  }
  compareMeta(ctx, rel, type, ms, ss);
  if (type !== 'dir') {
    const path = displayPath(rel);
    for (const [side, ino] of [
      ['master', ms.ino],
      ['slave', ss.ino],
    ] as const) {
      const group = ctx.groups[side].get(ino);
      if (group === undefined) ctx.groups[side].set(ino, [path]);
      else group.push(path);
    }
    ctx.pairs.push({ path, mIno: ms.ino, sIno: ss.ino });
  }
  if (type === 'file') compareFile(ctx, rel, m, s, ms, ss);
  else if (type === 'symlink') {
    const mt = fs.readlinkSync(m, { encoding: 'buffer' });
    const st = fs.readlinkSync(s, { encoding: 'buffer' });
    if (!mt.equals(st)) push(ctx, rel, 'symlink-target', displayPath(mt), displayPath(st));
  } else if (type === 'dir') compareDir(ctx, rel, m, s);
}

function compareDir(ctx: Ctx, rel: Buffer, m: Buffer, s: Buffer): void {
  const mNames = new Map(listNames(m).map((n) => [n.toString('latin1'), n] as const));
  const sNames = new Map(listNames(s).map((n) => [n.toString('latin1'), n] as const));
  if (rel.length === 0) for (const k of ctx.ignoreSlaveRoot) sNames.delete(k);
  const all = [...new Set([...mNames.keys(), ...sNames.keys()])].sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')),
  );
  for (const key of all) {
    const name = Buffer.from(key, 'latin1');
    const childRel = joinBytes(rel, name);
    const mAbs = joinBytes(m, name);
    const sAbs = joinBytes(s, name);
    const ms = mNames.has(key) ? fs.lstatSync(mAbs, { bigint: true }) : undefined;
    const ss = sNames.has(key) ? fs.lstatSync(sAbs, { bigint: true }) : undefined;
    if (ms !== undefined && ss !== undefined) compareEntry(ctx, childRel, mAbs, sAbs, ms, ss);
    else if (ms !== undefined) {
      if (!(ctx.skipSockets && ms.isSocket())) push(ctx, childRel, 'missing', typeOf(ms), 'absent');
    } else if (ss !== undefined) push(ctx, childRel, 'extra', 'absent', typeOf(ss));
  }
}

/** Each pair's group of names must be the same set on both sides; report each mismatch once. */
function compareHardLinks(ctx: Ctx): void {
  const seen = new Set<string>();
  const fmt = (g: readonly string[] | undefined): string => `{${[...(g ?? [])].sort().join(', ')}}`;
  for (const { path, mIno, sIno } of ctx.pairs) {
    const mg = fmt(ctx.groups.master.get(mIno));
    const sg = fmt(ctx.groups.slave.get(sIno));
    if (mg === sg || seen.has(`${mg}\n${sg}`)) continue;
    seen.add(`${mg}\n${sg}`);
    ctx.diffs.push({ path, what: 'hardlinks', master: mg, slave: sg });
  }
}

/** Every difference between the trees at `master` and `slave` (empty: the slave mirrors it). */
export function compareTrees(master: string, slave: string, opts: CompareOptions = {}): Difference[] {
  const ctx: Ctx = {
    diffs: [],
    owners: opts.owners ?? process.getuid?.() === 0,
    ignoreSlaveRoot: new Set((opts.ignoreSlaveRoot ?? ['.georep']).map((n) => Buffer.from(n).toString('latin1'))),
    skipSockets: (opts.sockets ?? 'skip') === 'skip',
    content: opts.content ?? true,
    groups: { master: new Map(), slave: new Map() },
    pairs: [],
  };
  const m = toBytes(master);
  const s = toBytes(slave);
  compareEntry(ctx, Buffer.alloc(0), m, s, fs.lstatSync(m, { bigint: true }), fs.lstatSync(s, { bigint: true }));
  compareHardLinks(ctx);
  return ctx.diffs;
}

/** One line per difference, for assertion messages. */
export function formatDifferences(diffs: readonly Difference[], max = 20): string {
  const lines = diffs.slice(0, max).map((d) => `  ${d.path}: ${d.what}: master=${d.master} slave=${d.slave}`);
  if (diffs.length > max) lines.push(`  … and ${diffs.length - max} more`);
  return lines.join('\n');
}

/** Throws an AssertionError listing the first 20 differences unless the slave mirrors the master. */
export function assertTreesEqual(master: string, slave: string, opts: CompareOptions = {}): void {
  const diffs = compareTrees(master, slave, opts);
  if (diffs.length === 0) return;
  throw new AssertionError({
    message: `slave ${slave} differs from master ${master} (${diffs.length} differences):\n${formatDifferences(diffs)}`,
  });
}

/**
 * Waits until the slave mirrors the master (a live session converging), polling every 200 ms
 * for up to `timeoutMs`, then asserts it as assertTreesEqual does. A walk that meets a tree
 * mid-change, or a slave root not made yet, counts as "not yet".
 */
export async function untilTreesEqual(
  master: string,
  slave: string,
  timeoutMs = 40_000,
  opts: CompareOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const compare = (): Difference[] => {
    try {
      return compareTrees(master, slave, opts);
    } catch (e) {
      return [{ path: '.', what: 'missing', master, slave: String(e) }];
    }
  };
  for (let diffs = compare(); diffs.length > 0; diffs = compare()) {
    if (Date.now() >= deadline) {
      throw new AssertionError({
        message: `slave ${slave} still differs from master ${master} after ${timeoutMs} ms (${diffs.length} differences):\n${formatDifferences(diffs)}`,
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
