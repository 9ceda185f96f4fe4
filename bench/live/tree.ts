// The live benchmark's tree. On top of the bulk tree (buildBulkTree) the bench adds the cases a
// replicator gets wrong (addHardCases): hard-link groups whose names sit in far-apart
// directories, symlinks (relative, dangling, to directories, absolute), awkward byte names at
// the root and deep down (files and directories), empty and sparse files. Everything is
// deterministic for a seed. The changes made to it later are workload.ts's.
//
// Paths here are "Rel" strings: latin1, one character per byte, so any name (newlines,
// non-UTF-8 bytes) fits a plain string; absOf() turns one into the Buffer the fs calls take.

import * as fs from 'node:fs';
import { displayPath, joinBytes, SeededBytes, SeededRandom } from '../../test/support/tree-bytes.js';

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
export const topOf = (rel: Rel): Rel => rel.split('/')[0] ?? '';
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
export function farDir(dirs: readonly Rel[], avoid: ReadonlySet<Rel>, rnd: SeededRandom): Rel {
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
