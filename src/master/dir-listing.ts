// Directory listing for the crawl: a directory's children in name-byte order (the order the
// crawl walks, stores digests and resumes in), each with its lstat (and a symlink's target),
// and the reserved root name set aside.

import { absPath, joinRel, readTarget } from '../changelog/index.js';
import { dirStats } from '../changelog/dir-stats.js';
import type { StatedChild } from './dir-digest.js';
import { SLAVE_STATE_DIR } from '../session-files.js';
import { errnoOf, hasErrno } from '../errors.js';

/** The slave's control folder: a master entry of this name at the root is never replicated. */
const RESERVED_ROOT_NAME = Buffer.from(SLAVE_STATE_DIR);

export interface ListedChild extends StatedChild {
  /** Path relative to the master root. */
  readonly rel: Buffer;
}

export interface DirListing {
  readonly children: readonly ListedChild[];
  /** The directory is the root and holds the reserved name (left out of `children`). */
  readonly reserved: boolean;
  /**
   * The directory was gone (or no longer one) when listed: moved, removed or replaced since
   * its parent was listed. It lists as empty, and the crawl leaves it to the next run: its
   * children may live on under another name (a rename), never to be unlinked for it.
   */
  readonly gone: boolean;
  /**
   * The directory cannot be listed by this user (EACCES, EPERM: mode 000, or no search
   * permission to lstat its names): the errno. It lists as empty too, and what the index holds
   * below it stays; the crawl reports it. It once threw, and one such directory stopped the
   * replication of the whole tree (one-shot probe, as a non-root user).
   */
  readonly unreadable?: string;
}

/**
 * Lists `rel` under `root`. A directory removed meanwhile lists as empty and `gone`, and a child
 * removed between readdir and lstat is left out: the next crawl sees them gone. Other errors throw.
 */
export function listDir(root: Buffer, rel: Buffer): DirListing {
  const children: ListedChild[] = [];
  let reserved = false;
  // One native call for the names and their lstat (changelog/dir-stats.ts): with a path built
  // and an lstat through it per name, listing was most of a re-run's crawl.
  let stats: ReturnType<typeof dirStats>;
  try {
    stats = dirStats(absPath(root, rel));
  } catch (e) {
    if (!hasErrno(e, 'EACCES', 'EPERM')) throw e;
    return { children, reserved, gone: false, unreadable: errnoOf(e) ?? 'EACCES' };
  }
  if (stats === undefined) return { children, reserved, gone: true };
  const listed = stats.sort((a, b) => Buffer.compare(a.name, b.name));
  for (const { name, st } of listed) {
    if (rel.length === 0 && name.equals(RESERVED_ROOT_NAME)) {
      reserved = true;
      continue;
    }
    if (st === undefined) continue;
    const childRel = joinRel(rel, name);
    // A symlink's target is what it holds: read with the listing, so the crawl and the
    // digest compare it (a retarget may keep the inode, size and even the clock tick).
    const target = st.isSymbolicLink() ? readTarget(absPath(root, childRel)) : undefined;
    children.push(target === undefined ? { name, rel: childRel, st } : { name, rel: childRel, st, target });
  }
  return { children, reserved, gone: false };
}

/** The directories among `children`, in listing order. */
export function subdirsOf<T extends ListedChild>(children: readonly T[]): T[] {
  return children.filter((c) => c.st.isDirectory());
}

/**
 * A child other than a directory has more than one link: a crawl must see the directory, so
 * that a new name of that inode elsewhere is recorded as a LINK (never skipped by its digest).
 */
export function holdsLinkedFile(children: readonly ListedChild[]): boolean {
  return children.some((c) => c.st.nlink > 1n && !c.st.isDirectory());
}
