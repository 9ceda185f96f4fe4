// relativeInside: where a path lies under a root, judged by path components. A string prefix
// test ('starts with ..') takes ordinary names such as '..dots' or '...' for the parent
// directory and so for "outside the root"; only a first component that is exactly '..' is.

import path from 'node:path';

/**
 * `abs` relative to `root` ('' for the root itself) when it lies inside it, else undefined.
 * Both are absolute, already resolved paths.
 */
export function relativeInside(root: string, abs: string): string | undefined {
  const rel = path.relative(root, abs);
  if (path.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${path.sep}`)) return undefined;
  return rel;
}
