// HintChecks: which names to look at for a batch of watcher hints. Watchers report paths as JS
// strings, which lose non-UTF-8 bytes (each becomes U+FFFD); a component is therefore matched
// against the real names (index and disk) by how they decode, so any byte name is found.
// Invariant: every name a hint may concern is checked; a check too many costs only an lstat.

import path from 'node:path';
import { absPath, joinRel } from '../rel-path.js';
import { relativeInside } from '../rel-path.js';
import type { GfidIndex } from '../gfid-index.js';
import { ROOT_GFID } from '../record.js';
import type { Check, DirRef } from './tree-diff.js';
import { listNames, lstatIfAny } from '../entry-stat.js';

const LOSSY = '\uFFFD';

export class HintChecks {
  private readonly checks = new Map<string, Check>();

  constructor(
    private readonly rootPath: string,
    private readonly root: Buffer,
    private readonly index: GfidIndex,
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
          // A directory the index does not know (new, or not yet recorded): look at it, which
          // looks inside it when it is new.
          for (const n of names) this.check(dir, n);
          return;
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
