// Crawl position: where a resumable crawl stopped, as the component list of the last directory
// whose records were confirmed. Directories are visited in preorder with children sorted by raw
// bytes, so "before/after the position" is a lexicographic compare of component lists.

import { escapeName, unescapeName } from './name-codec.js';

export type DirPath = readonly Buffer[];

/** Preorder compare: negative if a comes before b. An ancestor comes before its descendants. */
export function comparePreorder(a: DirPath, b: DirPath): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(a[i] as Buffer, b[i] as Buffer);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** True if `a` is `b` or one of b's ancestors. */
export function isAncestorOrSelf(a: DirPath, b: DirPath): boolean {
  return a.length <= b.length && comparePreorder(a, b.slice(0, a.length)) === 0;
}

export function encodePosition(p: DirPath): string {
  return JSON.stringify(p.map((c) => escapeName(c)));
}

export function decodePosition(s: string): DirPath | undefined {
  const v: unknown = JSON.parse(s);
  if (!Array.isArray(v) || !v.every((c): c is string => typeof c === 'string')) return undefined;
  return v.map((c) => unescapeName(c));
}

/**
 * The two passes of a resumed turn: first everything after the position, then everything up to
 * it (wrapping around, as seed 000's cyclic crawler does), so each directory is visited once.
 */
export type Pass = { readonly kind: 'all' } | { readonly kind: 'after' | 'upto'; readonly pos: DirPath };

/** The passes of a turn that starts from a saved position ('' or none: one whole pass). */
export function passesFrom(saved: string | undefined): Pass[] {
  const pos = saved === undefined || saved === '' ? undefined : decodePosition(saved);
  return pos === undefined
    ? [{ kind: 'all' }]
    : [
        { kind: 'after', pos },
        { kind: 'upto', pos },
      ];
}

export function shouldVisit(pass: Pass, dir: DirPath): boolean {
  if (pass.kind === 'all') return true;
  const c = comparePreorder(dir, pass.pos);
  return pass.kind === 'after' ? c > 0 : c <= 0;
}

/** Whether any directory below `dir` can be visited in this pass. */
export function shouldDescend(pass: Pass, dir: DirPath): boolean {
  if (pass.kind === 'all') return true;
  const c = comparePreorder(dir, pass.pos);
  if (pass.kind === 'after') return c > 0 || isAncestorOrSelf(dir, pass.pos);
  return c < 0 || isAncestorOrSelf(dir, pass.pos);
}
