// MasterAhead: the master's own directory listings, read a few directories ahead of the
// comparison in the order the walk visits them, each directory's slave listing asked the moment
// its master listing is read. Why: in preorder the next directory compared is most often a
// child of the one just compared, known only once its parent's listing was read; asked then,
// every such directory cost the walk one round trip to the agent while both processes waited
// (a CPU profile of a 50k-file verify: the master idle a fifth of its walk, the agent two
// thirds). Read ahead, the agent lists while the master compares.
// Invariant: the cursor pushes exactly the subdirectories the walk pushes (every master
// directory its `follows` says the walk goes into, in the same order), so what the walk takes
// is what was read for it; a listing the walk does not find here it reads itself, and memory
// holds at most `depth` listings.

import type { DirPath } from '../changelog/index.js';
import { joinRel } from '../changelog/index.js';
import { childPath, listEntries } from './list-dir.js';
import type { NamedEntry } from './list-dir.js';

/** A directory the cursor will read: where it is, and whether the walk compares its entries. */
interface AheadTask {
  readonly comps: DirPath;
  readonly rel: Buffer;
  readonly visit: boolean;
}

export interface AheadRules {
  /** Whether the walk compares the entries of directory `comps` (a resumed walk skips some). */
  visits(comps: DirPath): boolean;
  /** Whether the walk goes into `comps` at all (to compare it, or to pass through to later ones). */
  follows(comps: DirPath, visit: boolean): boolean;
  /** Asks the slave for the listing of `rel` (a directory the walk will compare). */
  askSlave(rel: Buffer): void;
}

/** A listing read ahead: the entries, or undefined when the directory had gone. */
type Read = { readonly entries: NamedEntry[] | undefined };

export class MasterAhead {
  private readonly stack: AheadTask[] = [];
  private readonly read = new Map<string, Read>();

  constructor(
    private readonly root: Buffer,
    private readonly depth: number,
    private readonly rules: AheadRules,
  ) {
    const comps: DirPath = [];
    this.stack.push({ comps, rel: Buffer.alloc(0), visit: rules.visits(comps) });
  }

  /** The entries of `rel` (sorted bytewise; undefined: gone), read ahead or now. */
  take(rel: Buffer): NamedEntry[] | undefined {
    const key = rel.toString('latin1');
    const ahead = this.read.get(key);
    this.read.delete(key);
    return ahead === undefined ? listEntries(this.abs(rel)) : ahead.entries;
  }

  /** Reads ahead until `depth` listings wait or the tree is read. */
  fill(): void {
    while (this.read.size < this.depth && this.stack.length > 0) {
      const task = this.stack.pop() as AheadTask; // length checked above
      const entries = listEntries(this.abs(task.rel));
      this.read.set(task.rel.toString('latin1'), { entries });
      if (task.visit) this.rules.askSlave(task.rel);
      const subdirs: AheadTask[] = [];
      for (const { name, entry } of entries ?? []) {
        if (entry?.kind !== 'dir') continue;
        const comps = [...task.comps, name];
        const visit = this.rules.visits(comps);
        if (this.rules.follows(comps, visit)) subdirs.push({ comps, rel: joinRel(task.rel, name), visit });
      }
      for (let i = subdirs.length - 1; i >= 0; i--) this.stack.push(subdirs[i] as AheadTask);
    }
  }

  private abs(rel: Buffer): Buffer {
    return rel.length === 0 ? this.root : childPath(this.root, rel);
  }
}
