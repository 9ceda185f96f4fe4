// The tree a slave that keeps what the master deletes (ignore-deletes) should hold, built apart
// from georep: a copy of the master with each kept entry copied in where it is kept, from a copy
// of the slave taken before the deletes. Compare the slave with it by compareTrees.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface KeptEntry {
  /** Where the kept entry is, in a copy of the slave taken before the deletes. */
  readonly from: string;
  /** Where the slave keeps it, relative to the master root (a directory kept aside, say). */
  readonly rel: string;
}

/**
 * Builds at `out` (which must not exist) a copy of `master` (cp -a: modes, ns mtimes, hard
 * links, holes) with each kept entry copied in at its `rel` over whatever the copy has there.
 * A directory the master has keeps the master's mtime (the slave sets it after the entry ops);
 * one only the kept entries make keeps the kept one's.
 */
export function keptSuperset(master: string, out: string, kept: readonly KeptEntry[]): void {
  execFileSync('cp', ['-a', '--', master, out]);
  for (const k of kept) {
    const to = path.join(out, k.rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    execFileSync('cp', ['-a', '-T', '--', k.from, to]);
  }
  // Deepest first: putting back a directory's mtime does not move its parent's.
  const parents = new Set(kept.flatMap((k) => ancestors(k.rel)));
  for (const rel of [...parents].sort((a, b) => b.length - a.length)) {
    const inMaster = path.join(master, rel);
    if (fs.existsSync(inMaster)) execFileSync('touch', ['-h', '-r', inMaster, path.join(out, rel)]);
  }
}

/** `a/b/c` → ['a/b', 'a', '.']. */
function ancestors(rel: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(rel); ; d = path.dirname(d)) {
    out.push(d);
    if (d === '.' || d === '/') return out;
  }
}
