// The live benchmark's workload: a model of the master's entries by kind (TreeModel) and the
// change sets made from it (applyChanges with a Mix: BURST_MIX for S2's bursts, CATCHUP_MIX for
// S3's changes while stopped). It exists apart from the tree it changes (tree.ts) because the
// scenarios need the model and the changed paths, never the hard-case builder. Deterministic
// for a seed; paths are tree.ts's latin1 "Rel" strings.

import * as fs from 'node:fs';
import { SeededRandom } from '../../test/support/tree-bytes.js';
import {
  absOf,
  awkwardVariant,
  bytesOf,
  dirOf,
  farDir,
  isAwkwardName,
  isInside,
  joinRel,
  relativeTarget,
  relOf,
  topOf,
} from './tree.js';
import type { Rel } from './tree.js';

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
