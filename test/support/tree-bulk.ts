// Bulk tree for benchmarks: many files in a random directory tree, sizes skewed (many tiny,
// a heavy tail of large ones), content cut from one reusable seeded buffer so generating
// a gigabyte costs little more than writing it. Deterministic for a given seed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeededBytes, SeededRandom, writeFromPool } from './tree-bytes.js';

export interface BulkOptions {
  /** Number of regular files (default 50 000). */
  readonly files?: number;
  /** Number of directories below the root (default ≈ files / 91, i.e. 550 for 50k). */
  readonly dirs?: number;
  /** Sum of all file sizes in bytes (default 1 GiB). */
  readonly totalBytes?: number;
  readonly seed?: number;
}

export interface BulkSummary {
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
  readonly largest: number;
  /** Files under 4 KiB. */
  readonly small: number;
}

const POOL_BYTES = 16 * 1024 * 1024;
/** Share of files that are tiny (0–1023 bytes); the rest follow a capped Pareto law. */
const TINY_SHARE = 0.3;
const PARETO_ALPHA = 1.2;
const PARETO_CAP = 5000;

/** File sizes summing exactly to `total`: TINY_SHARE tiny ones, the rest Pareto-scaled. */
export function bulkSizes(files: number, total: number, rnd: SeededRandom): number[] {
  const sizes = new Array<number>(files).fill(0);
  const raw = new Array<number>(files).fill(0);
  let tinySum = 0;
  let rawSum = 0;
  for (let i = 0; i < files; i++) {
    if (rnd.next() < TINY_SHARE) {
      sizes[i] = rnd.int(1024);
      tinySum += sizes[i] ?? 0;
    } else {
      const r = Math.min((1 - rnd.next()) ** (-1 / PARETO_ALPHA), PARETO_CAP);
      raw[i] = r;
      rawSum += r;
    }
  }
  const scale = rawSum > 0 ? Math.max(total - tinySum, 0) / rawSum : 0;
  let sum = 0;
  let largestAt = 0;
  for (let i = 0; i < files; i++) {
    const r = raw[i] ?? 0;
    if (r > 0) sizes[i] = Math.floor(r * scale);
    sum += sizes[i] ?? 0;
    if ((sizes[i] ?? 0) > (sizes[largestAt] ?? 0)) largestAt = i;
  }
  // Rounding (and tiny files when total is very small) leave a remainder: the largest file
  // absorbs it, never going below zero.
  sizes[largestAt] = Math.max((sizes[largestAt] ?? 0) + total - sum, 0);
  return sizes;
}

/** Builds the bulk tree into `root` (created if missing; should be empty). */
export function buildBulkTree(root: string, opts: BulkOptions = {}): BulkSummary {
  const files = opts.files ?? 50_000;
  const dirs = opts.dirs ?? Math.max(1, Math.round(files / 91));
  const totalBytes = opts.totalBytes ?? 1024 ** 3;
  const seed = opts.seed ?? 42;
  const rnd = new SeededRandom(seed);
  const pool = new SeededBytes(seed).next(POOL_BYTES);

  fs.mkdirSync(root, { recursive: true });
  // Directory i hangs below a random earlier one (or the root): a random tree of modest depth.
  const dirPaths: string[] = [root];
  for (let i = 0; i < dirs; i++) {
    const parent = dirPaths[rnd.int(dirPaths.length)] ?? root;
    const p = path.join(parent, `d${String(i).padStart(4, '0')}`);
    fs.mkdirSync(p);
    dirPaths.push(p);
  }

  const sizes = bulkSizes(files, totalBytes, rnd);
  let bytes = 0;
  let largest = 0;
  let small = 0;
  for (let i = 0; i < files; i++) {
    const size = sizes[i] ?? 0;
    const dir = dirPaths[rnd.int(dirPaths.length)] ?? root;
    writeFromPool(Buffer.from(path.join(dir, `f${i}.dat`)), size, pool, rnd.int(POOL_BYTES));
    bytes += size;
    largest = Math.max(largest, size);
    if (size < 4096) small++;
  }
  return { files, dirs, bytes, largest, small };
}
