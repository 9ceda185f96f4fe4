// Directory listing for the crawl: a directory's children in name-byte order (the order the
// crawl walks, stores digests and resumes in), each with its lstat, and the reserved root name
// set aside.

import { absPath, joinRel, listNames, lstatIfAny } from '../changelog/index.js';
import type { StatedChild } from './dir-digest.js';

/** The slave's control folder: a master entry of this name at the root is never replicated. */
const RESERVED_ROOT_NAME = Buffer.from('.georep');

export interface ListedChild extends StatedChild {
  /** Path relative to the master root. */
  readonly rel: Buffer;
}

export interface DirListing {
  readonly children: readonly ListedChild[];
  /** The directory is the root and holds the reserved name (left out of `children`). */
  readonly reserved: boolean;
}

/**
 * Lists `rel` under `root`. A directory removed meanwhile lists as empty, and a child removed
 * between readdir and lstat is left out: the next crawl sees them gone. Other errors throw.
 */
export function listDir(root: Buffer, rel: Buffer): DirListing {
  const children: ListedChild[] = [];
  let reserved = false;
  for (const name of listNames(absPath(root, rel)).sort(Buffer.compare)) {
    if (rel.length === 0 && name.equals(RESERVED_ROOT_NAME)) {
      reserved = true;
      continue;
    }
    const childRel = joinRel(rel, name);
    const st = lstatIfAny(absPath(root, childRel));
    if (st !== undefined) children.push({ name, rel: childRel, st });
  }
  return { children, reserved };
}
