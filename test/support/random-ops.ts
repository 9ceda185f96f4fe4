// Seeded random trees and random change sequences for live e2e tests, and byte-exact tree
// snapshots to compare a slave against later. Every choice comes from one seeded PRNG and from
// the tree's own state (walked in bytewise order), so a seed replays the same operations; only
// the daemon's timing differs between two runs.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { displayPath, joinBytes, SeededBytes, SeededRandom, setTimesNs, splitBytes, timeOfNs } from './tree-bytes.js';
import type { Difference } from './tree-compare.js';
import { listNames, typeOf, walkTree } from './tree-walk.js';
import type { EntryType } from './tree-walk.js';

/** An entry found by a light walk: its type from readdir, its lstat only when asked. */
export interface Entry {
  /** Path relative to the root; empty for the root itself. */
  readonly rel: Buffer;
  readonly abs: Buffer;
  readonly type: EntryType;
  /** lstat of the entry (read on first use, then kept). */
  readonly st: BigIntStats;
}

function direntType(d: fs.Dirent<Buffer>): EntryType {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'dir';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'char';
  return 'block';
}

function entry(rel: Buffer, abs: Buffer, type: EntryType): Entry {
  let st: BigIntStats | undefined;
  return {
    rel,
    abs,
    type,
    get st(): BigIntStats {
      st ??= fs.lstatSync(abs, { bigint: true });
      return st;
    },
  };
}

/**
 * Every entry under `root` (root first, then depth-first in bytewise name order), typed by
 * readdir alone: several times cheaper than an lstat per entry, for a walk before every op.
 */
export function lightWalk(root: string, skipRootNames: readonly string[] = []): Entry[] {
  const skip = new Set(skipRootNames.map((n) => Buffer.from(n).toString('latin1')));
  const out: Entry[] = [entry(Buffer.alloc(0), Buffer.from(root), 'dir')];
  const visit = (rel: Buffer, abs: Buffer): void => {
    const dirents = fs.readdirSync(abs, { withFileTypes: true, encoding: 'buffer' });
    dirents.sort((x, y) => Buffer.compare(x.name, y.name));
    for (const d of dirents) {
      if (rel.length === 0 && skip.has(d.name.toString('latin1'))) continue;
      const childRel = joinBytes(rel, d.name);
      const childAbs = joinBytes(abs, d.name);
      const type = direntType(d);
      out.push(entry(childRel, childAbs, type));
      if (type === 'dir') visit(childRel, childAbs);
    }
  };
  visit(Buffer.alloc(0), Buffer.from(root));
  return out;
}

/** Choices for tests: a thin layer over mulberry32 (SeededRandom). */
export class Rng {
  private readonly r: SeededRandom;
  constructor(seed: number) {
    this.r = new SeededRandom(seed);
  }
  next(): number {
    return this.r.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.r.int(n);
  }
  /** Integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.r.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.r.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: nothing to pick from');
    return items[this.r.int(items.length)] as T;
  }
  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let at = this.r.next() * total;
    for (const [item, w] of items) {
      if (at < w) return item;
      at -= w;
    }
    return (items[items.length - 1] as readonly [T, number])[0];
  }
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * Names that trip replicators: rsync's --files-from comment characters (`#`, `;`), option-like
 * names, names that start with `..` (a string-prefix test takes them for the parent), spaces,
 * newlines, tabs, non-UTF-8 bytes, shell and glob characters, and the longest name allowed.
 */
export const AWKWARD_NAMES: readonly Buffer[] = [
  b('#hash'),
  b('#'),
  b(';semi'),
  b('-'),
  b('--'),
  b('-rf'),
  b('--delete'),
  b('..dots'),
  b('...'),
  b('..x..'),
  b(' '),
  b(' lead space'),
  b('trail space '),
  b('new\nline'),
  b('\nnl-first'),
  b('tab\there'),
  Buffer.from([0xff, 0xfe, 0x2d, 0x78]), // "\xff\xfe-x": not UTF-8
  Buffer.from([0x63, 0x61, 0x66, 0xe9]), // "caf\xe9": Latin-1, not UTF-8
  b('back\\slash'),
  b('*?[glob]'),
  b('q\'uo"te'),
  b('$(echo hi)'),
  b('%41'),
  b('.hidden'),
  b('\u00e9t\u00e9'),
  b('L'.repeat(255)),
];

const isAwkward = (name: Buffer): boolean =>
  AWKWARD_NAMES.some((a) => name.subarray(0, Math.min(a.length, 24)).equals(a.subarray(0, 24)));

/** The last component of a relative path. */
const baseOf = (rel: Buffer): Buffer => splitBytes(rel).name;
/** The parent of a relative path ('' for a top-level name). */
const parentOf = (rel: Buffer): Buffer => {
  const i = rel.lastIndexOf(0x2f);
  return i < 0 ? Buffer.alloc(0) : rel.subarray(0, i);
};
/** True when `rel` is `dir` or below it, by path components ('' is the root). */
export function isInside(rel: Buffer, dir: Buffer): boolean {
  if (dir.length === 0) return true;
  return (
    rel.equals(dir) || (rel.length > dir.length && rel[dir.length] === 0x2f && rel.subarray(0, dir.length).equals(dir))
  );
}

/** Entries in each directory's subtree, itself included (latin1 path → count). */
function subtreeSizes(all: readonly Entry[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const e of all) {
    for (let rel = e.rel; ; rel = parentOf(rel)) {
      const k = rel.toString('latin1');
      sizes.set(k, (sizes.get(k) ?? 0) + 1);
      if (rel.length === 0) break;
    }
  }
  return sizes;
}

/** A relative symlink target from the directory `fromDir` to `to` (both relative to the root). */
function relativeTarget(fromDir: Buffer, to: Buffer): Buffer {
  const depth = fromDir.length === 0 ? 0 : fromDir.toString('latin1').split('/').length;
  return joinBytes(...new Array<string>(depth).fill('..'), to.length === 0 ? '.' : to);
}

function exists(p: Buffer): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

const FILE_MODES = [0o644, 0o600, 0o640, 0o755, 0o444, 0o400, 0o664, 0o700, 0o4755, 0o2750];
const DIR_MODES = [0o755, 0o700, 0o750, 0o775, 0o711, 0o1777, 0o2775];
const SPARSE_BYTES = 8 * 1024 * 1024;

/**
 * Applies random operations to the tree at `root` (a directory), leaving the names in
 * `skipRootNames` (say a noise subtree) alone. Each call re-reads the tree, so the choices
 * follow its state, and returns a one-line account of what it did (for the op log).
 */
export class RandomTree {
  private counter = 0;
  private readonly pool: Buffer;
  private readonly skip: readonly string[];
  constructor(
    readonly root: string,
    private readonly rng: Rng,
    opts: { readonly seed: number; readonly skipRootNames?: readonly string[] },
  ) {
    this.pool = new SeededBytes(opts.seed).next(1024 * 1024);
    this.skip = opts.skipRootNames ?? [];
  }

  private abs(rel: Buffer): Buffer {
    return joinBytes(this.root, rel);
  }

  /** Content of `size` bytes cut from the seeded pool at a random place. */
  content(size: number): Buffer {
    const at = this.rng.int(this.pool.length);
    const out = Buffer.alloc(size);
    for (let done = 0; done < size;) {
      const from = (at + done) % this.pool.length;
      const n = Math.min(size - done, this.pool.length - from);
      this.pool.copy(out, done, from, from + n);
      done += n;
    }
    return out;
  }

  private size(): number {
    return this.rng.weighted<() => number>([
      [() => 0, 0.12],
      [() => this.rng.between(1, 300), 0.45],
      [() => this.rng.between(301, 8192), 0.33],
      [() => this.rng.between(8193, 200_000), 0.1],
    ])();
  }

  /** A name not yet used in `dirRel`: often an awkward one, sometimes exactly as listed. */
  freshName(dirRel: Buffer, kind: 'f' | 'd' | 'l'): Buffer {
    for (;;) {
      let name: Buffer;
      const n = ++this.counter;
      if (this.rng.chance(0.45)) {
        const base = this.rng.pick(AWKWARD_NAMES);
        const suffix = b(`~${kind}${n}`);
        name = this.rng.chance(0.4) ? base : Buffer.concat([base.subarray(0, 255 - suffix.length), suffix]);
      } else name = b(`${kind}${n}`);
      if (dirRel.length === 0 && this.skip.includes(name.toString('latin1'))) continue;
      if (!exists(this.abs(joinBytes(dirRel, name)))) return name;
    }
  }

  /** Every entry below the root but the skipped ones (the root itself first). */
  entries(): Entry[] {
    return lightWalk(this.root, this.skip);
  }

  /** A directory, often one with an awkward name when there is one. */
  private pickDir(all: readonly Entry[], not?: Buffer): Entry {
    const dirs = all.filter((e) => e.type === 'dir' && (not === undefined || !isInside(e.rel, not)));
    const awkward = dirs.filter((e) => e.rel.length > 0 && isAwkward(baseOf(e.rel)));
    return awkward.length > 0 && this.rng.chance(0.35) ? this.rng.pick(awkward) : this.rng.pick(dirs);
  }

  private pickOf(all: readonly Entry[], test: (e: Entry) => boolean): Entry | undefined {
    const hits = all.filter((e) => e.rel.length > 0 && test(e));
    if (hits.length === 0) return undefined;
    const awkward = hits.filter((e) => isAwkward(baseOf(e.rel)));
    return awkward.length > 0 && this.rng.chance(0.35) ? this.rng.pick(awkward) : this.rng.pick(hits);
  }

  /** A symlink target: relative to an entry, dangling, or odd bytes. */
  private target(all: readonly Entry[], fromDir: Buffer): Buffer {
    return this.rng.weighted<() => Buffer>([
      [() => relativeTarget(fromDir, this.rng.pick(all).rel), 0.6],
      [() => joinBytes('no', 'such', `t${++this.counter}`), 0.2],
      [() => Buffer.concat([this.rng.pick(AWKWARD_NAMES).subarray(0, 200), b(`/t${++this.counter}`)]), 0.2],
    ])();
  }

  private writeNew(p: Buffer, size: number): void {
    fs.writeFileSync(p, this.content(size), { flag: 'wx' });
    if (this.rng.chance(0.25)) fs.chmodSync(p, this.rng.pick(FILE_MODES));
  }

  /** Applies one random operation; returns what it did. */
  step(): string {
    const all = this.entries();
    const count = all.length;
    // Keep the tree between about 380 and 600 entries: deletes win when it grows, creates when it shrinks.
    const grow = count < 380 ? 3 : count > 600 ? 0.2 : 1;
    const shrink = count > 600 ? 3 : count < 380 ? 0.2 : 1;
    for (let attempt = 0; attempt < 50; attempt++) {
      const op = this.rng.weighted<string>([
        ['create', 8 * grow],
        ['mkdir', 3 * grow],
        ['overwrite', 6],
        ['append', 5],
        ['truncate', 3],
        ['rewrite-keep-mtime', 4],
        ['rewrite-same-second', 2],
        ['rename-file', 7],
        ['rename-over', 3],
        ['rename-dir', 4],
        ['delete-file', 6 * shrink],
        ['delete-dir', 2 * shrink],
        ['chmod', 4],
        ['symlink', 4 * grow],
        ['retarget-rm-ln', 5],
        ['retarget-atomic', 5],
        ['link-add', 3 * grow],
        ['link-remove', 3],
        ['file-to-dir', 1],
        ['dir-to-file', 1],
      ]);
      const done = this.apply(op, all);
      if (done !== undefined) return done;
    }
    return 'nothing applicable';
  }

  private apply(op: string, all: readonly Entry[]): string | undefined {
    const d = (rel: Buffer): string => JSON.stringify(displayPath(rel));
    const files = (e: Entry): boolean => e.type === 'file';
    switch (op) {
      case 'create': {
        const dir = this.pickDir(all).rel;
        const rel = joinBytes(dir, this.freshName(dir, 'f'));
        const size = this.size();
        this.writeNew(this.abs(rel), size);
        return `create ${d(rel)} ${size} bytes`;
      }
      case 'mkdir': {
        let dir = this.pickDir(all).rel;
        const levels = this.rng.chance(0.2) ? this.rng.between(2, 3) : 1;
        for (let i = 0; i < levels; i++) {
          dir = joinBytes(dir, this.freshName(dir, 'd'));
          fs.mkdirSync(this.abs(dir));
        }
        if (this.rng.chance(0.6)) this.writeNew(this.abs(joinBytes(dir, this.freshName(dir, 'f'))), this.size());
        if (this.rng.chance(0.2)) fs.chmodSync(this.abs(dir), this.rng.pick(DIR_MODES));
        return `mkdir ${d(dir)} (${levels} levels)`;
      }
      case 'overwrite': {
        const e = this.pickOf(all, files);
        if (e === undefined) return undefined;
        const size = this.size();
        fs.writeFileSync(e.abs, this.content(size));
        return `overwrite ${d(e.rel)} ${size} bytes`;
      }
      case 'append': {
        const e = this.pickOf(all, files);
        if (e === undefined) return undefined;
        const size = this.rng.between(1, 5000);
        fs.appendFileSync(e.abs, this.content(size));
        return `append ${d(e.rel)} ${size} bytes`;
      }
      case 'truncate': {
        const e = this.pickOf(all, files);
        if (e === undefined) return undefined;
        const old = Number(e.st.size);
        const size = this.rng.chance(0.7) ? this.rng.int(old + 1) : old + this.rng.between(1, 70_000);
        fs.truncateSync(e.abs, size);
        return `truncate ${d(e.rel)} ${old} -> ${size}`;
      }
      case 'rewrite-keep-mtime':
      case 'rewrite-same-second': {
        const e = this.pickOf(all, (x) => x.type === 'file' && x.st.size > 0n && x.st.size < 1_000_000n);
        if (e === undefined) return undefined;
        const data = fs.readFileSync(e.abs);
        for (let i = 0; i < data.length; i++) data[i] = 0xff - (data[i] ?? 0);
        fs.writeFileSync(e.abs, data);
        if (op === 'rewrite-keep-mtime') {
          setTimesNs(e.abs, timeOfNs(e.st.atimeNs), 'atime');
          setTimesNs(e.abs, timeOfNs(e.st.mtimeNs));
        } else {
          const sec = e.st.mtimeNs / 1_000_000_000n;
          const nsec = ((e.st.mtimeNs % 1_000_000_000n) + 1_000_001n) % 1_000_000_000n;
          setTimesNs(e.abs, timeOfNs(sec * 1_000_000_000n + nsec));
        }
        return `${op} ${d(e.rel)} (${data.length} bytes, inverted)`;
      }
      case 'rename-file':
      case 'rename-over': {
        const e = this.pickOf(all, (x) => x.type !== 'dir');
        if (e === undefined) return undefined;
        if (op === 'rename-over') {
          const victim = this.pickOf(all, (x) => x.type !== 'dir' && !x.rel.equals(e.rel));
          if (victim === undefined) return undefined;
          fs.renameSync(e.abs, victim.abs);
          return `rename ${d(e.rel)} over ${d(victim.rel)}`;
        }
        const dir = this.rng.chance(0.3) ? parentOf(e.rel) : this.pickDir(all).rel;
        const to = joinBytes(dir, this.freshName(dir, 'f'));
        fs.renameSync(e.abs, this.abs(to));
        return `rename ${d(e.rel)} -> ${d(to)}`;
      }
      case 'rename-dir': {
        const e = this.pickOf(all, (x) => x.type === 'dir');
        if (e === undefined) return undefined;
        const dir = this.rng.chance(0.25) ? parentOf(e.rel) : this.pickDir(all, e.rel).rel;
        // Now and then over an existing empty directory (rename(2) replaces it).
        const empty = all.filter(
          (x) =>
            x.type === 'dir' &&
            x.rel.length > 0 &&
            !isInside(x.rel, e.rel) &&
            !isInside(e.rel, x.rel) &&
            listNames(x.abs).length === 0,
        );
        if (empty.length > 0 && this.rng.chance(0.15)) {
          const victim = this.rng.pick(empty);
          fs.renameSync(e.abs, victim.abs);
          return `rename dir ${d(e.rel)} over empty dir ${d(victim.rel)}`;
        }
        const to = joinBytes(dir, this.freshName(dir, 'd'));
        fs.renameSync(e.abs, this.abs(to));
        return `rename dir ${d(e.rel)} -> ${d(to)}`;
      }
      case 'delete-file': {
        const e = this.pickOf(all, (x) => x.type !== 'dir');
        if (e === undefined) return undefined;
        fs.unlinkSync(e.abs);
        return `delete ${e.type} ${d(e.rel)}`;
      }
      case 'delete-dir': {
        const sizes = subtreeSizes(all);
        const e = this.pickOf(all, (x) => x.type === 'dir' && (sizes.get(x.rel.toString('latin1')) ?? 0) <= 40);
        if (e === undefined) return undefined;
        const n = sizes.get(e.rel.toString('latin1')) ?? 0;
        fs.rmSync(e.abs, { recursive: true });
        return `delete dir ${d(e.rel)} (${n} entries)`;
      }
      case 'chmod': {
        const e = this.pickOf(all, (x) => x.type === 'file' || x.type === 'dir');
        if (e === undefined) return undefined;
        const mode = this.rng.pick(e.type === 'dir' ? DIR_MODES : FILE_MODES);
        fs.chmodSync(e.abs, mode);
        return `chmod ${d(e.rel)} ${mode.toString(8)}`;
      }
      case 'symlink': {
        const dir = this.pickDir(all).rel;
        const rel = joinBytes(dir, this.freshName(dir, 'l'));
        const target = this.target(all, dir);
        fs.symlinkSync(target, this.abs(rel));
        return `symlink ${d(rel)} -> ${d(target)}`;
      }
      case 'retarget-rm-ln':
      case 'retarget-atomic': {
        const e = this.pickOf(all, (x) => x.type === 'symlink');
        if (e === undefined) return undefined;
        const dir = parentOf(e.rel);
        const target = this.target(all, dir);
        if (op === 'retarget-rm-ln') {
          fs.unlinkSync(e.abs);
          fs.symlinkSync(target, e.abs);
        } else {
          // `ln -sfn`: a new symlink under a temporary name, renamed over the old one.
          const tmp = this.abs(joinBytes(dir, `.ln-tmp-${++this.counter}`));
          fs.symlinkSync(target, tmp);
          fs.renameSync(tmp, e.abs);
        }
        return `${op} ${d(e.rel)} -> ${d(target)}`;
      }
      case 'link-add': {
        const e = this.pickOf(all, files);
        if (e === undefined) return undefined;
        // Far away: another top-level directory when there is one.
        const top = e.rel.subarray(0, e.rel.indexOf(0x2f) < 0 ? e.rel.length : e.rel.indexOf(0x2f));
        const far = all.filter((x) => x.type === 'dir' && x.rel.length > 0 && !isInside(x.rel, top));
        const dir = far.length > 0 && this.rng.chance(0.8) ? this.rng.pick(far).rel : this.pickDir(all).rel;
        const rel = joinBytes(dir, this.freshName(dir, 'f'));
        fs.linkSync(e.abs, this.abs(rel));
        return `link ${d(rel)} => ${d(e.rel)}`;
      }
      case 'link-remove': {
        const e = this.pickOf(all, (x) => x.type === 'file' && x.st.nlink > 1n);
        if (e === undefined) return undefined;
        fs.unlinkSync(e.abs);
        return `unlink hard link ${d(e.rel)} (had ${e.st.nlink} links)`;
      }
      case 'file-to-dir': {
        const e = this.pickOf(all, files);
        if (e === undefined) return undefined;
        fs.unlinkSync(e.abs);
        fs.mkdirSync(e.abs);
        fs.writeFileSync(joinBytes(e.abs, 'was-a-file'), this.content(this.size()));
        return `replace file ${d(e.rel)} with a directory`;
      }
      case 'dir-to-file': {
        const sizes = subtreeSizes(all);
        const e = this.pickOf(all, (x) => x.type === 'dir' && (sizes.get(x.rel.toString('latin1')) ?? 0) <= 10);
        if (e === undefined) return undefined;
        fs.rmSync(e.abs, { recursive: true });
        fs.writeFileSync(e.abs, this.content(this.size()));
        return `replace dir ${d(e.rel)} with a file`;
      }
      default:
        throw new Error(`RandomTree: unknown op ${op}`);
    }
  }
}

/**
 * Builds a tree of about `entries` entries under `root` (created; should be empty): awkward
 * names at the top and deep down, hard-link groups across far-apart directories, relative and
 * dangling symlinks, empty files and directories, sparse files, assorted modes.
 */
export function buildRandomTree(root: string, rng: Rng, seed: number, entries = 430): void {
  fs.mkdirSync(root, { recursive: true });
  const t = new RandomTree(root, rng, { seed });
  const dirs: Buffer[] = [Buffer.alloc(0)];
  const files: Buffer[] = [];
  let n = 0;
  const mkdir = (rel: Buffer): Buffer => {
    fs.mkdirSync(joinBytes(root, rel));
    dirs.push(rel);
    n++;
    return rel;
  };
  const file = (rel: Buffer, size: number): void => {
    fs.writeFileSync(joinBytes(root, rel), t.content(size));
    files.push(rel);
    n++;
  };
  const sizeOf = (): number =>
    rng.chance(0.15) ? 0 : rng.chance(0.85) ? rng.between(1, 4000) : rng.between(4001, 100_000);
  // The top: every awkward name, as a file or as a directory holding a few awkward files.
  for (const name of AWKWARD_NAMES) {
    if (rng.chance(0.6)) file(name, sizeOf());
    else {
      const dir = mkdir(name);
      for (let i = 0; i < 3; i++) file(joinBytes(dir, t.freshName(dir, 'f')), sizeOf());
    }
  }
  // Deep down: a chain of awkward directories with awkward files at each level.
  const unused = (dir: Buffer): Buffer => {
    const free = AWKWARD_NAMES.filter((a) => a.length < 100 && !exists(joinBytes(root, dir, a)));
    return free.length > 0 ? rng.pick(free) : t.freshName(dir, 'd');
  };
  let deep = mkdir(b('deep'));
  for (let level = 0; level < 7; level++) {
    deep = mkdir(joinBytes(deep, unused(deep)));
    file(joinBytes(deep, unused(deep)), sizeOf());
    file(joinBytes(deep, t.freshName(deep, 'f')), sizeOf());
  }
  file(joinBytes(deep, 'M'.repeat(255)), sizeOf());
  // A random tree of plain directories.
  for (let i = 0; i < 30; i++) {
    const parent = rng.pick(dirs);
    mkdir(joinBytes(parent, rng.chance(0.3) ? t.freshName(parent, 'd') : `dir${i}`));
  }
  for (let i = 0; i < 4; i++) mkdir(joinBytes(rng.pick(dirs), `empty${i}`));
  // Sparse files: 8 MiB apparent, two 4 KiB blocks of data.
  for (let i = 0; i < 3; i++) {
    const rel = joinBytes(rng.pick(dirs), `sparse${i}.bin`);
    const fd = fs.openSync(joinBytes(root, rel), 'w');
    fs.ftruncateSync(fd, SPARSE_BYTES);
    fs.writeSync(fd, t.content(4096), 0, 4096, 0);
    fs.writeSync(fd, t.content(4096), 0, 4096, SPARSE_BYTES / 2);
    fs.closeSync(fd);
    files.push(rel);
    n++;
  }
  // Hard-link groups: 2-4 names each, in directories under different top-level names.
  for (let g = 0; g < 10; g++) {
    const first = joinBytes(rng.pick(dirs), `hl${g}-a`);
    file(first, sizeOf() || 10);
    for (let k = 1; k < rng.between(2, 4); k++) {
      const rel = joinBytes(rng.pick(dirs), `hl${g}-${k}`);
      if (exists(joinBytes(root, rel))) continue;
      fs.linkSync(joinBytes(root, first), joinBytes(root, rel));
      n++;
    }
  }
  // Symlinks: relative to files and directories, dangling, odd target bytes.
  for (let i = 0; i < 30; i++) {
    const dir = rng.pick(dirs);
    const rel = joinBytes(dir, t.freshName(dir, 'l'));
    const target = rng.weighted<() => Buffer>([
      [() => relativeTarget(dir, rng.pick(files)), 0.5],
      [() => relativeTarget(dir, rng.pick(dirs)), 0.2],
      [() => b(`dangling/nowhere-${i}`), 0.2],
      [() => Buffer.concat([rng.pick(AWKWARD_NAMES).subarray(0, 100), b('\n..')]), 0.1],
    ])();
    fs.symlinkSync(target, joinBytes(root, rel));
    n++;
  }
  // Plain files up to the wanted size.
  while (n < entries) {
    const dir = rng.pick(dirs);
    file(joinBytes(dir, t.freshName(dir, 'f')), sizeOf());
  }
  for (const rel of files) if (rng.chance(0.15)) fs.chmodSync(joinBytes(root, rel), rng.pick(FILE_MODES));
  for (const rel of dirs.slice(1)) if (rng.chance(0.1)) fs.chmodSync(joinBytes(root, rel), rng.pick(DIR_MODES));
}

/**
 * Mutates only the directory `root` (the noise subtree), one small change per call: mostly
 * creates and writes, some renames, deletes and directories. `n` makes new names unique.
 */
export function noiseStep(root: string, rng: Rng, n: number): void {
  const names = listNames(Buffer.from(root));
  const op =
    names.length < 20
      ? 'create'
      : names.length > 100
        ? 'delete'
        : rng.weighted<string>([
            ['create', 0.35],
            ['write', 0.35],
            ['rename', 0.12],
            ['delete', 0.12],
            ['mkdir', 0.06],
          ]);
  const p = names.length > 0 ? joinBytes(root, rng.pick(names)) : undefined;
  try {
    if (op === 'create' || p === undefined)
      fs.writeFileSync(joinBytes(root, `n${n}`), `noise ${n}\n`.repeat(rng.between(1, 200)));
    else if (op === 'write') fs.appendFileSync(p, `more ${n}\n`);
    else if (op === 'rename') fs.renameSync(p, joinBytes(root, `n${n}-renamed`));
    else if (op === 'delete') fs.rmSync(p, { recursive: true });
    else fs.mkdirSync(joinBytes(root, `nd${n}`));
  } catch (e) {
    // An append to a directory, say: noise, nothing more.
    if (!(typeof e === 'object' && e !== null && 'code' in e)) throw e;
  }
}

/** One entry of a snapshot: what a slave copy must match. */
export interface SnapEntry {
  readonly rel: Buffer;
  readonly type: EntryType;
  readonly mode: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ino: bigint;
  readonly blocks: bigint;
  /** sha256 of a regular file's content. */
  readonly hash?: string;
  readonly target?: Buffer;
}

/** Latin-1 path → entry: byte-exact keys for every entry under a root ('' is the root). */
export type TreeSnapshot = Map<string, SnapEntry>;

function sha256(p: Buffer): string {
  return createHash('sha256').update(fs.readFileSync(p)).digest('hex');
}

function snapEntry(rel: Buffer, abs: Buffer, st: BigIntStats): SnapEntry {
  const type = typeOf(st);
  return {
    rel,
    type,
    mode: st.mode & 0o7777n,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    mtimeNs: st.mtimeNs,
    ino: st.ino,
    blocks: st.blocks,
    ...(type === 'file' ? { hash: sha256(abs) } : {}),
    ...(type === 'symlink' ? { target: fs.readlinkSync(abs, { encoding: 'buffer' }) } : {}),
  };
}

/**
 * An independent walk of `root`: every name as bytes, its type, mode, owner, size, mtime,
 * inode (for hard-link groups), a file's content hash and a symlink's target. Names in
 * `skipRootNames` are left out at the top only.
 */
export function takeSnapshot(root: string, skipRootNames: readonly string[] = []): TreeSnapshot {
  const snap: TreeSnapshot = new Map();
  for (const e of walkTree(root, { skipRootNames })) snap.set(e.rel.toString('latin1'), snapEntry(e.rel, e.abs, e.st));
  return snap;
}

/** Directories, symlinks: mtimes set through a double may be a few hundred ns off (as compareTrees). */
const NON_FILE_MTIME_SLACK_NS = 1000n;
const SPARSE_SLACK_BYTES = 1024n * 1024n;

const fmtNs = (ns: bigint): string => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
const fmtMode = (m: bigint): string => `0${m.toString(8)}`;

/** Every difference between a master snapshot and a slave snapshot, in compareTrees' terms. */
export function compareSnapshots(
  master: TreeSnapshot,
  slave: TreeSnapshot,
  opts: { readonly owners?: boolean } = {},
): Difference[] {
  const owners = opts.owners ?? process.getuid?.() === 0;
  const diffs: Difference[] = [];
  const push = (rel: Buffer, what: Difference['what'], m: string, s: string): void => {
    diffs.push({ path: rel.length === 0 ? '.' : displayPath(rel), what, master: m, slave: s });
  };
  const keys = [...new Set([...master.keys(), ...slave.keys()])].sort((x, y) =>
    Buffer.compare(Buffer.from(x, 'latin1'), Buffer.from(y, 'latin1')),
  );
  const groups = { master: new Map<bigint, string[]>(), slave: new Map<bigint, string[]>() };
  const pairs: { path: string; m: bigint; s: bigint }[] = [];
  for (const key of keys) {
    const m = master.get(key);
    const s = slave.get(key);
    if (m === undefined) {
      push((s as SnapEntry).rel, 'extra', 'absent', (s as SnapEntry).type);
      continue;
    }
    if (s === undefined) {
      push(m.rel, 'missing', m.type, 'absent');
      continue;
    }
    if (m.type !== s.type) {
      push(m.rel, 'type', m.type, s.type);
      continue;
    }
    if (m.type !== 'symlink' && m.mode !== s.mode) push(m.rel, 'mode', fmtMode(m.mode), fmtMode(s.mode));
    const delta = m.mtimeNs > s.mtimeNs ? m.mtimeNs - s.mtimeNs : s.mtimeNs - m.mtimeNs;
    if (delta > (m.type === 'file' ? 0n : NON_FILE_MTIME_SLACK_NS))
      push(m.rel, 'mtime', fmtNs(m.mtimeNs), fmtNs(s.mtimeNs));
    if (owners && m.uid !== s.uid) push(m.rel, 'owner', String(m.uid), String(s.uid));
    if (owners && m.gid !== s.gid) push(m.rel, 'group', String(m.gid), String(s.gid));
    if (m.type === 'file') {
      if (m.blocks * 512n < m.size && s.blocks * 512n > m.blocks * 512n + SPARSE_SLACK_BYTES) {
        push(m.rel, 'sparse', `${m.blocks * 512n} bytes allocated`, `${s.blocks * 512n} bytes allocated`);
      }
      if (m.size !== s.size) push(m.rel, 'size', String(m.size), String(s.size));
      else if (m.hash !== s.hash)
        push(m.rel, 'content', `sha256 ${m.hash?.slice(0, 16)}…`, `sha256 ${s.hash?.slice(0, 16)}…`);
    }
    if (m.type === 'symlink' && !(m.target as Buffer).equals(s.target as Buffer)) {
      push(m.rel, 'symlink-target', displayPath(m.target as Buffer), displayPath(s.target as Buffer));
    }
    if (m.type !== 'dir') {
      const path = displayPath(m.rel);
      for (const [side, ino] of [
        ['master', m.ino],
        ['slave', s.ino],
      ] as const) {
        const g = groups[side].get(ino);
        if (g === undefined) groups[side].set(ino, [path]);
        else g.push(path);
      }
      pairs.push({ path, m: m.ino, s: s.ino });
    }
  }
  // Names of one inode on one side must be names of one inode on the other, and the same set.
  const seen = new Set<string>();
  const fmt = (g: readonly string[] | undefined): string => `{${[...(g ?? [])].sort().join(', ')}}`;
  for (const { path, m, s } of pairs) {
    const mg = fmt(groups.master.get(m));
    const sg = fmt(groups.slave.get(s));
    if (mg === sg || seen.has(`${mg}\n${sg}`)) continue;
    seen.add(`${mg}\n${sg}`);
    diffs.push({ path, what: 'hardlinks', master: mg, slave: sg });
  }
  return diffs;
}
