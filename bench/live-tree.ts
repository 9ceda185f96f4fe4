// The live benchmark's tree and change sets. On top of the bulk tree (buildBulkTree) the bench
// adds the cases a replicator gets wrong (addHardCases): hard-link groups whose names sit in
// far-apart directories, symlinks (relative, dangling, to directories, absolute), awkward byte
// names at the root and deep down (files and directories), empty and sparse files. Everything
// is deterministic for a seed.
//
// Paths here are "Rel" strings: latin1, one character per byte, so any name (newlines,
// non-UTF-8 bytes) fits a plain string; absOf() turns one into the Buffer the fs calls take.

import * as fs from 'node:fs';
import { displayPath, joinBytes, SeededBytes, SeededRandom } from '../test/support/tree-bytes.js';

/** A path relative to the tree root, one latin1 character per byte; '' is the root. */
export type Rel = string;

export const relOf = (b: Buffer): Rel => b.toString('latin1');
export const bytesOf = (rel: Rel): Buffer => Buffer.from(rel, 'latin1');
export const absOf = (root: string, rel: Rel): Buffer =>
  rel === '' ? Buffer.from(root) : joinBytes(root, bytesOf(rel));
export const showRel = (rel: Rel): string => (rel === '' ? '.' : displayPath(bytesOf(rel)));
export const dirOf = (rel: Rel): Rel => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
export const baseOf = (rel: Rel): Rel => rel.slice(rel.lastIndexOf('/') + 1);
export const joinRel = (dir: Rel, name: Rel): Rel => (dir === '' ? name : `${dir}/${name}`);
const topOf = (rel: Rel): Rel => rel.split('/')[0] ?? '';
/** `rel` is `dir` or lies below it (by components; '' holds everything). */
export const isInside = (rel: Rel, dir: Rel): boolean => dir === '' || rel === dir || rel.startsWith(`${dir}/`);

const L = (s: string): Rel => relOf(Buffer.from(s, 'utf8'));

/**
 * Names that trip replicators: rsync's --files-from comment characters (# ;), option-like names,
 * names that start with '..' (a string-prefix test takes them for the parent), spaces, newlines,
 * non-UTF-8 bytes and the longest names allowed (255 bytes, ASCII and 3-byte UTF-8).
 */
export const AWKWARD_NAMES: readonly Rel[] = [
  L('#hash'),
  L('#'),
  L(';semi'),
  L(';'),
  L('-'),
  L('--'),
  L('-rf'),
  L('--delete'),
  L('..dots'),
  L('...'),
  L(' '),
  L(' lead space'),
  L('trail space '),
  L('new\nline'),
  L('\nnl-first'),
  relOf(Buffer.from([0xff, 0xfe, 0x2d, 0x78])), // "\xff\xfe-x": not UTF-8
  relOf(Buffer.from([0x63, 0x61, 0x66, 0xe9])), // "caf\xe9": Latin-1, not UTF-8
  L('L'.repeat(255)),
  L('\u65e5'.repeat(85)), // 255 bytes of 3-byte UTF-8
  L('tab\there'),
];

/** A name the bulk tree would never make (dNNNN, fN.dat, sub, …). */
export const isAwkwardName = (name: Rel): boolean => name.length > 100 || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name);

/** An awkward name made unique by `suffix`, cut to 255 bytes. */
export function awkwardVariant(rnd: SeededRandom, suffix: string): Rel {
  const base = AWKWARD_NAMES[rnd.int(AWKWARD_NAMES.length)] ?? '#';
  return `${base.slice(0, 255 - suffix.length)}${suffix}`;
}

/** A relative symlink target from directory `fromDir` to `to` (both relative to the root). */
export function relativeTarget(fromDir: Rel, to: Rel): Rel {
  const depth = fromDir === '' ? 0 : fromDir.split('/').length;
  const ups = new Array<string>(depth).fill('..');
  return [...ups, to === '' ? '.' : to].join('/');
}

export interface HardSummary {
  readonly awkwardFiles: number;
  readonly awkwardDirs: number;
  readonly hardLinkGroups: number;
  readonly hardLinkNames: number;
  readonly symlinks: number;
  readonly emptyFiles: number;
  readonly emptyDirs: number;
  readonly sparseFiles: number;
  /** Where the awkward names went: the root, a middle directory, the deepest one. */
  readonly places: readonly string[];
}

const HARD_LINK_GROUPS = 36;
const SYMLINKS = 40;
const EMPTY_FILES = 12;
const EMPTY_DIRS = 3;
const SPARSE_FILES = 4;
const SPARSE_BYTES = 4 * 1024 * 1024;

function dirsOf(root: string): Rel[] {
  const out: Rel[] = [''];
  const walk = (rel: Rel): void => {
    const ents = fs.readdirSync(absOf(root, rel), { withFileTypes: true, encoding: 'buffer' });
    ents.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const d of ents)
      if (d.isDirectory()) {
        const r = joinRel(rel, relOf(d.name));
        out.push(r);
        walk(r);
      }
  };
  walk('');
  return out;
}

function filesIn(root: string, dir: Rel): Rel[] {
  return fs
    .readdirSync(absOf(root, dir), { withFileTypes: true, encoding: 'buffer' })
    .filter((d) => d.isFile())
    .map((d) => joinRel(dir, relOf(d.name)))
    .sort();
}

/** A directory whose top-level component is none of `avoid` (far from them), if one is found. */
function farDir(dirs: readonly Rel[], avoid: ReadonlySet<Rel>, rnd: SeededRandom): Rel {
  let pick = dirs[rnd.int(dirs.length)] ?? '';
  for (let i = 0; i < 30 && avoid.has(topOf(pick)); i++) pick = dirs[rnd.int(dirs.length)] ?? '';
  return pick;
}

/** Adds the hard cases to the bulk tree at `root` (deterministic for `seed`). */
export function addHardCases(root: string, seed: number): HardSummary {
  const rnd = new SeededRandom(seed * 7919 + 13);
  const pool = new SeededBytes(`${seed}-hard`).next(1024 * 1024);
  const content = (max: number): Buffer => {
    const n = rnd.int(max + 1);
    const at = rnd.int(pool.length - n);
    return pool.subarray(at, at + n);
  };
  const write = (rel: Rel, data: Buffer): void => fs.writeFileSync(absOf(root, rel), data, { flag: 'wx' });
  const bulkDirs = dirsOf(root);
  const depth = (rel: Rel): number => (rel === '' ? 0 : rel.split('/').length);
  const maxDepth = Math.max(...bulkDirs.map(depth));
  const deepest = bulkDirs.find((d) => depth(d) === maxDepth) ?? '';
  const middle = bulkDirs.find((d) => depth(d) === Math.max(1, Math.floor(maxDepth / 2))) ?? '';
  const places = [...new Set(['', middle, deepest])];

  // Awkward names, at the root, in a middle directory and in the deepest one. Each name is a
  // directory in one place and a file in the next, so both kinds carry every name exactly.
  let awkwardFiles = 0;
  const awkwardDirs: Rel[] = [];
  places.forEach((place, j) => {
    AWKWARD_NAMES.forEach((name, i) => {
      const rel = joinRel(place, name);
      if ((i + j) % 2 === 0) {
        fs.mkdirSync(absOf(root, rel));
        awkwardDirs.push(rel);
        write(joinRel(rel, 'inner.txt'), content(2000));
        const inner = AWKWARD_NAMES[(i + 1) % AWKWARD_NAMES.length] ?? '#';
        write(joinRel(rel, inner), i % 5 === 0 ? Buffer.alloc(0) : content(3000));
        fs.mkdirSync(absOf(root, joinRel(rel, 'sub')));
        write(joinRel(rel, 'sub/leaf.dat'), content(5000));
        if (i % 3 === 0) fs.symlinkSync(bytesOf('..'), absOf(root, joinRel(rel, 'sub/up')));
      } else {
        write(rel, i % 5 === 1 ? Buffer.alloc(0) : content(4000));
        awkwardFiles++;
      }
    });
  });

  const allDirs = dirsOf(root);
  const allFiles = allDirs.filter((d, i) => i % 7 === 0).flatMap((d) => filesIn(root, d));

  // Hard-link groups: a new file, then 1-3 more names, each under another top-level directory
  // than the names before it (so they land far apart in any crawl order); the first groups put
  // every other group puts one name inside an awkward directory, which the bursts rename.
  let hardLinkNames = 0;
  for (let g = 0; g < HARD_LINK_GROUPS; g++) {
    const names = 2 + rnd.int(3);
    const avoid = new Set<Rel>();
    let first: Rel | undefined;
    for (let k = 0; k < names; k++) {
      const inAwkward = k === 1 && g % 2 === 0 && g / 2 < awkwardDirs.length;
      const dir = inAwkward ? (awkwardDirs[g / 2] ?? '') : farDir(allDirs, avoid, rnd);
      avoid.add(topOf(dir));
      const name = g % 4 === 3 && k === names - 1 ? awkwardVariant(rnd, `~hl${g}`) : `hl${g}-${k}.dat`;
      const rel = joinRel(dir, name);
      if (first === undefined) {
        write(rel, g % 9 === 0 ? Buffer.alloc(0) : content(64 * 1024));
        first = rel;
      } else fs.linkSync(absOf(root, first), absOf(root, rel));
      hardLinkNames++;
    }
  }

  // Symlinks: relative to a file, relative to a directory, dangling, to an awkward name, absolute.
  for (let n = 0; n < SYMLINKS; n++) {
    const dir =
      n % 5 === 0 ? (awkwardDirs[rnd.int(awkwardDirs.length)] ?? '') : (allDirs[rnd.int(allDirs.length)] ?? '');
    const name = n % 4 === 2 ? awkwardVariant(rnd, `~ln${n}`) : `ln${n}`;
    let target: Rel;
    switch (n % 5) {
      case 0:
      case 1:
        target = relativeTarget(dir, allFiles[rnd.int(allFiles.length)] ?? '');
        break;
      case 2:
        target = relativeTarget(dir, allDirs[rnd.int(allDirs.length)] ?? '');
        break;
      case 3:
        target = n % 2 === 0 ? `no/such/target-${n}` : `../gone-${n}`;
        break;
      default:
        target =
          n % 3 === 0
            ? `/nonexistent/georep-bench/${n}`
            : relativeTarget(dir, awkwardDirs[n % awkwardDirs.length] ?? '');
    }
    fs.symlinkSync(bytesOf(target), absOf(root, joinRel(dir, name)));
  }

  for (let n = 0; n < EMPTY_FILES; n++)
    write(joinRel(allDirs[rnd.int(allDirs.length)] ?? '', `empty-${n}`), Buffer.alloc(0));
  for (let n = 0; n < EMPTY_DIRS; n++)
    fs.mkdirSync(absOf(root, joinRel(allDirs[rnd.int(allDirs.length)] ?? '', `empty-dir-${n}`)));

  // Sparse files: SPARSE_BYTES apparent, three 4 KiB blocks of data.
  for (let n = 0; n < SPARSE_FILES; n++) {
    const rel = joinRel(
      n === 0 ? '' : (allDirs[rnd.int(allDirs.length)] ?? ''),
      n === 0 ? 'sparse #0.bin' : `sparse-${n}.bin`,
    );
    const fd = fs.openSync(absOf(root, rel), 'wx');
    try {
      fs.ftruncateSync(fd, SPARSE_BYTES);
      for (const at of [0, SPARSE_BYTES / 2, SPARSE_BYTES - 4096]) fs.writeSync(fd, pool, rnd.int(1000) * 4, 4096, at);
    } finally {
      fs.closeSync(fd);
    }
  }

  return {
    awkwardFiles,
    awkwardDirs: awkwardDirs.length,
    hardLinkGroups: HARD_LINK_GROUPS,
    hardLinkNames,
    symlinks: SYMLINKS,
    emptyFiles: EMPTY_FILES,
    emptyDirs: EMPTY_DIRS,
    sparseFiles: SPARSE_FILES,
    places: places.map(showRel),
  };
}

// ---------------------------------------------------------------------------------------------
// The model the change sets pick from

/** The master's entries by kind (relative), kept up to date as changes are made. */
export class TreeModel {
  /** Regular files with one name. */
  readonly files: Rel[] = [];
  readonly dirs: Rel[] = [''];
  /** Directories with an awkward name (the bursts rename them). */
  readonly awkDirs: Rel[] = [];
  readonly symlinks: Rel[] = [];
  /** Names of regular files with more than one name, grouped by inode. */
  readonly groups: Rel[][] = [];

  constructor(root: string) {
    const byIno = new Map<bigint, Rel[]>();
    const walk = (rel: Rel): void => {
      const ents = fs.readdirSync(absOf(root, rel), { withFileTypes: true, encoding: 'buffer' });
      ents.sort((a, b) => Buffer.compare(a.name, b.name));
      for (const d of ents) {
        const r = joinRel(rel, relOf(d.name));
        if (d.isDirectory()) {
          this.dirs.push(r);
          if (isAwkwardName(relOf(d.name))) this.awkDirs.push(r);
          walk(r);
        } else if (d.isSymbolicLink()) this.symlinks.push(r);
        else if (d.isFile()) {
          const st = fs.lstatSync(absOf(root, r), { bigint: true });
          if (st.nlink === 1n) this.files.push(r);
          else {
            const g = byIno.get(st.ino) ?? [];
            g.push(r);
            byIno.set(st.ino, g);
          }
        }
      }
    };
    walk('');
    this.groups.push(...byIno.values());
  }

  /** Removes and returns a random single-name file (swap-remove). */
  take(rnd: SeededRandom): Rel {
    return takeFrom(this.files, rnd);
  }

  pick(rnd: SeededRandom): Rel {
    return this.files[rnd.int(this.files.length)] ?? '';
  }

  pickDir(rnd: SeededRandom): Rel {
    return this.dirs[rnd.int(this.dirs.length)] ?? '';
  }

  /** Length of the longest name path below `dir` (relative to it, with its leading '/'). */
  longestBelow(dir: Rel): number {
    let n = 0;
    for (const list of [this.files, this.dirs, this.symlinks, ...this.groups])
      for (const x of list) if (x !== dir && isInside(x, dir)) n = Math.max(n, x.length - dir.length);
    return n;
  }

  /** After `from` was renamed to `to` (a directory): every name below it moves too. Returns the new names. */
  rebase(from: Rel, to: Rel): Rel[] {
    const moved: Rel[] = [];
    const re = (x: Rel): Rel => {
      if (!isInside(x, from)) return x;
      const y = to + x.slice(from.length);
      moved.push(y);
      return y;
    };
    for (const list of [this.files, this.dirs, this.awkDirs, this.symlinks, ...this.groups])
      for (let i = 0; i < list.length; i++) list[i] = re(list[i] ?? '');
    return [...new Set(moved)];
  }
}

function takeFrom<T>(list: T[], rnd: SeededRandom): T {
  const i = rnd.int(list.length);
  const x = list[i] as T;
  const last = list.pop() as T;
  if (i < list.length) list[i] = last;
  return x;
}

// ---------------------------------------------------------------------------------------------
// Change sets

export type OpKind =
  | 'create'
  | 'append'
  | 'rewrite'
  | 'rename-same-dir'
  | 'rename-cross-dir'
  | 'delete'
  | 'chmod'
  | 'symlink-retarget'
  | 'link-add'
  | 'link-remove'
  | 'rename-awkward-dir';
export type Mix = readonly (readonly [OpKind, number])[];

/** S2 bursts: every kind of change. */
export const BURST_MIX: Mix = [
  ['create', 17],
  ['append', 12],
  ['rewrite', 12],
  ['rename-same-dir', 10],
  ['rename-cross-dir', 11],
  ['delete', 12],
  ['chmod', 8],
  ['symlink-retarget', 6],
  ['link-add', 4],
  ['link-remove', 4],
  ['rename-awkward-dir', 4],
];
/** S3 (changes while stopped): mostly rewrites, renames, deletes and creates. */
export const CATCHUP_MIX: Mix = [
  ['rewrite', 27],
  ['rename-same-dir', 10],
  ['rename-cross-dir', 11],
  ['delete', 17],
  ['create', 22],
  ['symlink-retarget', 5],
  ['link-add', 3],
  ['link-remove', 3],
  ['rename-awkward-dir', 2],
];
const MODES = [0o600, 0o640, 0o644, 0o664];
/** Longest relative path a directory rename may make (bytes; PATH_MAX is 4096 with the root). */
const MAX_REL_PATH = 3000;

function chooseOp(mix: Mix, rnd: SeededRandom): OpKind {
  const total = mix.reduce((a, [, w]) => a + w, 0);
  let x = rnd.next() * total;
  for (const [op, w] of mix) {
    if (x < w) return op;
    x -= w;
  }
  return mix[0]?.[0] ?? 'create';
}

/**
 * Applies `count` changes of `mix` to the master as fast as possible; returns the changed paths
 * (both names of a rename, every name of a hard-link group, everything below a renamed
 * directory) and their parent directories, and the count per kind.
 */
export function applyChanges(
  master: string,
  model: TreeModel,
  mix: Mix,
  count: number,
  tag: string,
  rnd: SeededRandom,
  pool: Buffer,
): { changed: Set<Rel>; kinds: Record<string, number> } {
  const changed = new Set<Rel>();
  const kinds: Record<string, number> = {};
  const touch = (rel: Rel): void => {
    changed.add(rel);
    changed.add(dirOf(rel));
  };
  const slice = (min: number, max: number): Buffer => {
    const n = min + rnd.int(max - min + 1);
    const at = rnd.int(pool.length - n);
    return pool.subarray(at, at + n);
  };
  const abs = (rel: Rel): Buffer => absOf(master, rel);
  /** A fresh name: now and then an awkward one. */
  const fresh = (prefix: string, i: number, ext: string): Rel =>
    rnd.next() < 0.1 ? awkwardVariant(rnd, `~${prefix}-${tag}-${i}`) : `${prefix}-${tag}-${i}${ext}`;
  const applicable = (op: OpKind): boolean => {
    switch (op) {
      case 'create':
        return true;
      case 'symlink-retarget':
        return model.symlinks.length > 0;
      case 'link-remove':
        return model.groups.some((g) => g.length > 1);
      case 'rename-awkward-dir':
        return model.awkDirs.length > 0;
      case 'link-add':
        return model.groups.length > 0 || model.files.length >= 10;
      default:
        return model.files.length >= 10;
    }
  };
  for (let i = 0; i < count; i++) {
    let op = chooseOp(mix, rnd);
    if (!applicable(op)) op = 'create';
    kinds[op] = (kinds[op] ?? 0) + 1;
    switch (op) {
      case 'create': {
        const rel = joinRel(model.pickDir(rnd), fresh('new', i, '.dat'));
        fs.writeFileSync(abs(rel), slice(0, 16 * 1024), { flag: 'wx' });
        model.files.push(rel);
        touch(rel);
        break;
      }
      case 'append': {
        const rel = model.pick(rnd);
        fs.appendFileSync(abs(rel), slice(1, 4096));
        touch(rel);
        break;
      }
      case 'rewrite': {
        const rel = model.pick(rnd);
        fs.writeFileSync(abs(rel), slice(1, 16 * 1024));
        touch(rel);
        break;
      }
      case 'rename-same-dir':
      case 'rename-cross-dir': {
        const from = model.take(rnd);
        const dir = op === 'rename-same-dir' ? dirOf(from) : model.pickDir(rnd);
        const to = joinRel(dir, fresh('mv', i, '.dat'));
        fs.renameSync(abs(from), abs(to));
        model.files.push(to);
        touch(from);
        touch(to);
        break;
      }
      case 'delete': {
        const rel = model.take(rnd);
        fs.unlinkSync(abs(rel));
        touch(rel);
        break;
      }
      case 'chmod': {
        const rel = model.pick(rnd);
        const cur = fs.statSync(abs(rel)).mode & 0o7777;
        const others = MODES.filter((m) => m !== cur);
        fs.chmodSync(abs(rel), others[rnd.int(others.length)] ?? 0o644);
        touch(rel);
        break;
      }
      case 'symlink-retarget': {
        // rm + ln -s under the same name: a new symlink (new inode, often the same one reused).
        const rel = model.symlinks[rnd.int(model.symlinks.length)] ?? '';
        const r = rnd.next();
        const target =
          r < 0.45
            ? relativeTarget(dirOf(rel), model.pick(rnd))
            : r < 0.75
              ? relativeTarget(dirOf(rel), model.pickDir(rnd))
              : `no/such/${tag}-${i}`;
        fs.unlinkSync(abs(rel));
        fs.symlinkSync(bytesOf(target), abs(rel));
        touch(rel);
        break;
      }
      case 'link-add': {
        // A new name for a hard-linked file (or a single-name one, which becomes a group),
        // under another top-level directory than its other names.
        let group: Rel[];
        if (model.groups.length > 0 && (rnd.next() < 0.6 || model.files.length < 10))
          group = model.groups[rnd.int(model.groups.length)] ?? [];
        else {
          group = [model.take(rnd)];
          model.groups.push(group);
        }
        const avoid = new Set(group.map(topOf));
        const dir = farDir(model.dirs, avoid, rnd);
        const rel = joinRel(dir, fresh('hl', i, '.dat'));
        fs.linkSync(abs(group[0] ?? ''), abs(rel));
        group.push(rel);
        for (const n of group) touch(n);
        break;
      }
      case 'link-remove': {
        const multi = model.groups.filter((g) => g.length > 1);
        const group = multi[rnd.int(multi.length)] ?? [];
        const rel = takeFrom(group, rnd);
        fs.unlinkSync(abs(rel));
        touch(rel);
        for (const n of group) touch(n);
        if (group.length === 1) {
          model.groups.splice(model.groups.indexOf(group), 1);
          model.files.push(group[0] ?? '');
        }
        break;
      }
      case 'rename-awkward-dir': {
        const from = model.awkDirs[rnd.int(model.awkDirs.length)] ?? '';
        let parent = dirOf(from);
        if (rnd.next() < 0.5) {
          const outside = model.dirs.filter((d) => !isInside(d, from));
          parent = outside[rnd.int(outside.length)] ?? parent;
        }
        // Awkward directories end up nested in each other, and 255-byte names add up: the
        // longest path below the new name stays well under PATH_MAX (4096).
        const below = model.longestBelow(from);
        let name = awkwardVariant(rnd, `~rd-${tag}-${i}`);
        if (parent.length + name.length + below > MAX_REL_PATH) parent = dirOf(from);
        if (parent.length + name.length + below > MAX_REL_PATH) name = `#~rd-${tag}-${i}`;
        const to = joinRel(parent, name);
        fs.renameSync(abs(from), abs(to));
        touch(from);
        touch(to);
        for (const n of model.rebase(from, to)) changed.add(n);
        break;
      }
    }
  }
  return { changed, kinds };
}
