// Directory prefetch: while a one-shot sync waits for its slave (an ssh connection and the
// agent's start, 0.3-0.7 s), it lists the master's directories ahead of the crawl and keeps,
// for each, only what the crawl needs to skip it unchanged: its digest (dir-digest.ts), its
// subdirectories and a few flags. The crawl then skips a directory whose prefetched digest
// matches the stored one without listing it again; any other it lists as before.
//
// Why this is safe: a stored digest says every child was confirmed on the slave as hashed, so a
// match proves the directory was in sync when the prefetch listed it. A change after that, and
// before the crawl would have reached it, is left to the next run, exactly as a change made just
// after the crawl passed the directory is: a one-shot sync copies the tree as it finds it
// during the run, not at one instant. A full crawl uses no prefetch (it skips nothing).

import { dirDigest } from './dir-digest.js';
import { holdsLinkedFile, listDir, subdirsOf } from './dir-listing.js';

/** What the crawl needs of a directory to skip it (keyed by its root-relative path, latin1). */
export interface PrefetchedDir {
  readonly digest: Buffer;
  /** Its subdirectories in listing order (name-byte order, as the crawl walks). */
  readonly subdirs: readonly { readonly name: Buffer; readonly rel: Buffer }[];
  /** How many children it has (for the crawl's scanned count). */
  readonly count: number;
  /** A child other than a directory has more than one link: the crawl must see it (LINK records). */
  readonly linked: boolean;
  /** The root, holding the reserved name: the crawl never skips it. */
  readonly reserved: boolean;
}

export interface DirPrefetch {
  /**
   * When the listing began (the session clock): a crawl that skips by it covers the master as
   * of then, so its turn, and the stime it sets, starts no later (a change after the listing
   * and before the crawl is after the stime, for the next run).
   */
  readonly startedMs: number;
  readonly dirs: ReadonlyMap<string, PrefetchedDir>;
}

/** Directories listed between two yields to the event loop (so the agent's replies are read). */
const DIRS_PER_SLICE = 16;

/**
 * Lists the tree under `root` in preorder until done or `signal` aborts (what was listed by then
 * is returned), or until `maxDirs` directories are kept (memory stays bounded by directories,
 * never by files). Errors end the prefetch quietly: the crawl lists what is missing itself.
 */
export async function prefetchDirs(
  root: Buffer,
  signal: AbortSignal,
  maxDirs: number,
  startedMs: number,
): Promise<DirPrefetch> {
  const out = new Map<string, PrefetchedDir>();
  const stack: Buffer[] = [Buffer.alloc(0)];
  try {
    while (stack.length > 0 && out.size < maxDirs && !signal.aborted) {
      for (let i = 0; i < DIRS_PER_SLICE && stack.length > 0 && out.size < maxDirs; i++) {
        const rel = stack.pop() as Buffer;
        const { children, reserved, gone, unreadable } = listDir(root, rel);
        if (gone || unreadable !== undefined) continue; // the crawl lists it again and answers for it
        const subdirs = subdirsOf(children).map(({ name, rel: r }) => ({ name, rel: r }));
        out.set(rel.toString('latin1'), {
          digest: dirDigest(children),
          subdirs,
          count: children.length,
          linked: holdsLinkedFile(children),
          reserved,
        });
        stack.push(...subdirs.map((d) => d.rel).reverse()); // preorder: the first subdirectory next
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch {
    // A directory that could not be listed: the crawl lists it (and reports what is wrong).
  }
  return { startedMs, dirs: out };
}
