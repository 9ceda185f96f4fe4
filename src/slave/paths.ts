// Slave paths as bytes: a path relative to the slave root is a Buffer ('' is the root), since
// names may be any bytes but '/' and NUL. Display forms use the name codec, never raw bytes.

import { escapeName } from '../changelog/index.js';

const SLASH = Buffer.from('/');

/** `dir/name`, or just `name` when `dir` is the root (empty). */
export function joinRel(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? name : Buffer.concat([dir, SLASH, name]);
}

/** The directory part of a relative path (empty for an entry directly under the root). */
export function dirOf(rel: Buffer): Buffer {
  const i = rel.lastIndexOf(SLASH[0] ?? 0x2f);
  return i < 0 ? Buffer.alloc(0) : rel.subarray(0, i);
}

/** A relative path for messages: each component escaped, joined with '/'; '.' for the root. */
export function displayPath(rel: Buffer): string {
  if (rel.length === 0) return '.';
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    const i = rel.indexOf(0x2f, start);
    parts.push(escapeName(rel.subarray(start, i < 0 ? rel.length : i)));
    if (i < 0) return parts.join('/');
    start = i + 1;
  }
}
