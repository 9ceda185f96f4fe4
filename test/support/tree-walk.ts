// Byte-exact tree walking (Buffer names, lstat with bigint: nothing is followed or rounded),
// and stat snapshots that prove a run touched nothing: (ino, mtime, ctime) of every entry.

import * as fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { displayPath, joinBytes, toBytes } from './tree-bytes.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block';

export function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char';
  return 'block';
}

/** Names in a directory as raw bytes, sorted bytewise (deterministic reports). */
export function listNames(dir: Buffer): Buffer[] {
  return fs.readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
}

export interface WalkEntry {
  /** Path relative to the root; empty for the root itself. */
  readonly rel: Buffer;
  readonly abs: Buffer;
  readonly st: BigIntStats;
  readonly type: EntryType;
}

export interface WalkOptions {
  /** Names skipped at the top of the root only (e.g. the slave's `.georep`). */
  readonly skipRootNames?: readonly string[];
}

/** Every entry under `root` (root first, then depth-first, bytewise name order). */
export function walkTree(root: string, opts: WalkOptions = {}): WalkEntry[] {
  const skip = new Set((opts.skipRootNames ?? []).map((n) => Buffer.from(n).toString('latin1')));
  const out: WalkEntry[] = [];
  const visit = (rel: Buffer, abs: Buffer): void => {
    const st = fs.lstatSync(abs, { bigint: true });
    const type = typeOf(st);
    out.push({ rel, abs, st, type });
    if (type !== 'dir') return;
    for (const name of listNames(abs)) {
      if (rel.length === 0 && skip.has(name.toString('latin1'))) continue;
      visit(joinBytes(rel, name), joinBytes(abs, name));
    }
  };
  visit(Buffer.alloc(0), toBytes(root));
  return out;
}

/** One entry's identity and change stamps: any write, chmod, utimes or replace moves one. */
export interface EntryStamp {
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** Display path → stamp for every entry under `root` (the root itself is ''). */
export function snapshotTree(root: string, opts: WalkOptions = {}): Map<string, EntryStamp> {
  const snap = new Map<string, EntryStamp>();
  for (const e of walkTree(root, opts)) {
    snap.set(displayPath(e.rel), { ino: e.st.ino, mtimeNs: e.st.mtimeNs, ctimeNs: e.st.ctimeNs });
  }
  return snap;
}

/** Human-readable differences between two snapshots (empty when nothing was touched). */
export function diffSnapshots(before: Map<string, EntryStamp>, after: Map<string, EntryStamp>): string[] {
  const out: string[] = [];
  for (const [p, a] of before) {
    const b = after.get(p);
    if (b === undefined) out.push(`${p || '.'}: removed`);
    else {
      for (const k of ['ino', 'mtimeNs', 'ctimeNs'] as const) {
        if (a[k] !== b[k]) out.push(`${p || '.'}: ${k} ${a[k]} -> ${b[k]}`);
      }
    }
  }
  for (const p of after.keys()) if (!before.has(p)) out.push(`${p || '.'}: added`);
  return out;
}
