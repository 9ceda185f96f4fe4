// Root-relative paths. As bytes ('/'-separated, '' is the root), since names may hold any byte
// but '/' and NUL: joined, split and shown here only, each component escaped for display as in
// records. As strings, relativeInside: where a path lies under a root, judged by components.

import path from 'node:path';
import { escapeName } from './name-codec.js';

const SLASH = Buffer.from('/');
const SLASH_BYTE = 0x2f;

/** `dir/name`, or just `name` when `dir` is the root (empty). */
export function joinRel(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? name : Buffer.concat([dir, SLASH, name]);
}

/** The directory part of a relative path (empty for an entry directly under the root). */
export function dirOf(rel: Buffer): Buffer {
  const i = rel.lastIndexOf(SLASH_BYTE);
  return i < 0 ? Buffer.alloc(0) : rel.subarray(0, i);
}

/** Absolute path bytes of a root-relative path. */
export function absPath(root: Buffer, rel: Buffer): Buffer {
  return rel.length === 0 ? root : Buffer.concat([root, SLASH, rel]);
}

/** A relative path for messages: each component escaped as in records, joined with '/'; '.' for the root. */
export function displayPath(rel: Buffer): string {
  if (rel.length === 0) return '.';
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    const i = rel.indexOf(SLASH_BYTE, start);
    parts.push(escapeName(rel.subarray(start, i < 0 ? rel.length : i)));
    if (i < 0) return parts.join('/');
    start = i + 1;
  }
}

/**
 * `abs` relative to `root` ('' for the root itself) when it lies inside it, else undefined.
 * Both are absolute, already resolved paths. A string prefix test ('starts with ..') would take
 * ordinary names such as '..dots' for the parent; only a first component exactly '..' is.
 */
export function relativeInside(root: string, abs: string): string | undefined {
  const rel = path.relative(root, abs);
  if (path.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${path.sep}`)) return undefined;
  return rel;
}
