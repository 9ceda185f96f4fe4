// HintChecks: which names to look at for a batch of watcher hints. Watchers report paths as JS
// strings, which lose non-UTF-8 bytes (each becomes U+FFFD); a component is therefore matched
// against the real names (index and disk) by how they decode, so any byte name is found.
// Invariant: every name a hint may concern is checked; a check too many costs only an lstat.

import path from 'node:path';
import { absPath, joinRel } from '../rel-path.js';
import { relativeInside } from '../rel-path.js';
import type { NameIndex } from '../../store/index.js';
import { ROOT_GFID } from '../record.js';
import type { Gfid } from '../record.js';
import type { Check, DirRef } from './tree-diff.js';
import { listNames, lstatIfAny } from '../entry-stat.js';

const LOSSY = '\uFFFD';

export class HintChecks {
  private readonly checks = new Map<string, Check>();

  constructor(
    private readonly rootPath: string,
    private readonly root: Buffer,
    private readonly index: NameIndex,
  ) {}

  /**
   * Adds the names a hint at `absolute` may concern. Paths outside the root are ignored.
   * `written`: the watcher reported a write there (see Check.written).
   */
  add(absolute: string, written = false): void {
    const rel = relativeInside(this.rootPath, absolute);
    // The root itself changed (its attributes): nothing to record, it has no name.
    if (rel === undefined || rel === '') return;
    const comps = rel.split(path.sep);
    let dir: DirRef = { gfid: ROOT_GFID, rel: Buffer.alloc(0) };
    // Where `dir` itself is named, so that it is looked at too: a child made and removed
    // between two looks leaves nothing to record inside, only the directory's new mtime.
    let named: { readonly in: DirRef; readonly name: Buffer } | undefined;
    try {
      for (let i = 0; i < comps.length - 1; i++) {
        const names = this.namesFor(dir, comps[i] as string);
        const sub = names
          .map((n) => ({ n, row: this.index.lookup(dir.gfid, n) }))
          .find((x) => x.row !== undefined && x.row.type === 'dir');
        if (sub?.row === undefined) {
          // A directory the index does not know by this name: look at it, which looks inside
          // it when it is new.
          for (const n of names) this.check(dir, n);
          // A known directory that moved here in this look (its RENAME is recorded with these
          // checks): go on below it by its gfid, or a write in it named by its new path is lost.
          const moved = this.movedDir(dir, names);
          if (moved === undefined) {
            this.checkBelowNew(dir, names, comps.slice(i + 1), written);
            return;
          }
          dir = moved;
          continue;
        }
        named = { in: dir, name: sub.n };
        dir = { gfid: sub.row.gfid, rel: joinRel(dir.rel, sub.n) };
      }
      for (const n of this.namesFor(dir, comps[comps.length - 1] as string)) this.check(dir, n, written);
    } finally {
      if (named !== undefined) this.check(named.in, named.name);
    }
  }

  take(): Check[] {
    const out = [...this.checks.values()];
    this.checks.clear();
    return out;
  }

  get size(): number {
    return this.checks.size;
  }

  private check(dir: DirRef, name: Buffer, written = false): void {
    const key = `${dir.gfid}/${name.toString('latin1')}`;
    const had = this.checks.get(key);
    if (had !== undefined) {
      if (written && had.written !== true) this.checks.set(key, { ...had, written });
      return;
    }
    const st = lstatIfAny(absPath(this.root, joinRel(dir.rel, name)));
    this.checks.set(key, written ? { dir, name, st, written } : { dir, name, st });
  }

  /**
   * The directory at one of `names` in `dir` when it is one the index knows under another name
   * (same inode and birth time as its gfid's object): a rename not recorded yet. Its children
   * keep their rows under its gfid, so checks below it compare with what was recorded.
   */
  private movedDir(dir: DirRef, names: readonly Buffer[]): DirRef | undefined {
    for (const n of names) {
      const rel = joinRel(dir.rel, n);
      const gfid = this.knownDirAt(rel);
      if (gfid !== undefined) return { gfid, rel };
    }
    return undefined;
  }

  /**
   * Below a directory that is new here: the new directory is expanded by the diff, but a known
   * directory moved into it is matched by inode and not looked inside. Follows the rest of the
   * path on disk and, if it ends in such a moved directory, checks the named child there.
   */
  private checkBelowNew(dir: DirRef, names: readonly Buffer[], rest: readonly string[], written: boolean): void {
    if (rest.length < 2) return; // the hint named the new directory's own child: its expansion covers it
    let rels = names.map((n) => joinRel(dir.rel, n));
    for (const comp of rest.slice(0, -1)) {
      rels = rels.flatMap((rel) =>
        diskNamesFor(absPath(this.root, rel), comp)
          .map((n) => joinRel(rel, n))
          .filter((r) => lstatIfAny(absPath(this.root, r))?.isDirectory() === true),
      );
    }
    const last = rest[rest.length - 1] as string;
    for (const rel of rels) {
      const known = this.knownDirAt(rel);
      if (known === undefined) continue;
      const at = { gfid: known, rel };
      for (const n of this.namesFor(at, last)) this.check(at, n, written);
    }
  }

  /** The gfid of the directory at `rel` when the index knows its inode (same birth) as a directory. */
  private knownDirAt(rel: Buffer): Gfid | undefined {
    const st = lstatIfAny(absPath(this.root, rel));
    if (st === undefined || !st.isDirectory()) return undefined;
    // Every gfid on the inode: a removed one not recorded yet may share it (TreeDiff.knownObject).
    return this.index.gfidsOfIno(st.ino).find((gfid) => {
      const obj = this.index.objectOf(gfid);
      if (obj === undefined || obj.type !== 'dir' || obj.ino !== st.ino) return false;
      return obj.btimeNs === null || st.birthtimeNs === 0n || obj.btimeNs === st.birthtimeNs; // else the inode was reused
    });
  }

  /** The byte names in `dir` that a (possibly lossy) component string can stand for. */
  private namesFor(dir: DirRef, comp: string): Buffer[] {
    if (!comp.includes(LOSSY)) return [Buffer.from(comp)];
    const found = new Map<string, Buffer>();
    const consider = (n: Buffer): void => {
      if (n.toString('utf8') === comp) found.set(n.toString('latin1'), n);
    };
    for (const n of listNames(absPath(this.root, dir.rel))) consider(n);
    for (const row of this.index.children(dir.gfid)) consider(row.name);
    return [...found.values()];
  }
}

/** The names in the folder `abs` that a (possibly lossy) component string can stand for. */
function diskNamesFor(abs: Buffer, comp: string): Buffer[] {
  if (!comp.includes(LOSSY))
    return lstatIfAny(Buffer.concat([abs, Buffer.from('/'), Buffer.from(comp)])) === undefined
      ? []
      : [Buffer.from(comp)];
  return listNames(abs).filter((n) => n.toString('utf8') === comp);
}
