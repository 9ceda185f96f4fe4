// When is the slave equal to the master, and since when? Decided independently of georep's own
// status: a full compareTrees of the whole tree confirms every reported time. A cheap check of
// only the changed paths (expectState / firstMismatch, polled every few ms) gives the moment;
// waitEqual and waitFirstCaughtUp turn a slave that does not converge in time into NotConverged.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { displayPath } from '../../test/support/tree-bytes.js';
import { compareTrees } from '../../test/support/tree-compare.js';
import type { Difference } from '../../test/support/tree-compare.js';
import { nowMs, sleep } from './clock.js';
import { NotConverged } from './failure.js';
import { CATCHUP_LIMIT_MS, LAG_LIMIT_MS } from './params.js';
import type { Session } from './session-driver.js';
import { absOf, showRel } from './tree.js';
import type { Rel } from './tree.js';

/** Slave equal to the master? Differences, or one pseudo-difference when the walk failed mid-change. */
export function compareSafe(master: string, slave: string): Difference[] {
  try {
    return compareTrees(master, slave);
  } catch (e) {
    return [{ path: '.', what: 'missing', master, slave: `compare failed: ${String(e)}` }];
  }
}

/**
 * Waits for the first caught-up state after a start on a fresh workdir: status.json says the
 * worker is in its live Changelog crawl with nothing pending (written after `sinceMs`), and a
 * full compareTrees agrees. Returns the time (from `t0`) of the status poll after which the full
 * compare agreed. Once status says caught up, the slave must equal the master within
 * LAG_LIMIT_MS (compared again every poll), or the first sync did not converge.
 */
export async function waitFirstCaughtUp(
  s: Session,
  t0: number,
  sinceEpochMs: number,
  onPoll: () => void,
): Promise<{ caughtUpS: number; compareS: number; compares: number }> {
  let compares = 0;
  let caughtSince: number | undefined;
  for (;;) {
    onPoll();
    const st = s.status();
    if (
      st?.crawlStatus === 'Changelog Crawl' &&
      (st.updatedMs ?? 0) >= sinceEpochMs &&
      st.filesPending === 0 &&
      st.bytesPending === 0 &&
      st.deletesPending === 0
    ) {
      const seen = nowMs();
      const diffs = compareSafe(s.master, s.slave);
      compares++;
      const compareS = (nowMs() - seen) / 1000;
      if (diffs.length === 0) return { caughtUpS: (seen - t0) / 1000, compareS, compares };
      caughtSince ??= seen;
      console.log(`  status says caught up but the slave differs in ${diffs.length} places; waiting`);
      if (nowMs() - caughtSince > LAG_LIMIT_MS)
        throw new NotConverged(
          `status has said caught up for ${((nowMs() - caughtSince) / 1000).toFixed(0)} s, but the slave still ` +
            `differs from the master in ${diffs.length} places (${compares} full compares; status first said ` +
            `caught up ${((caughtSince - t0) / 1000).toFixed(1)} s after the start, not a reported time)`,
          diffs,
          s.logTail(),
        );
    }
    if (!s.running())
      throw new NotConverged('the session daemon is not running', compareSafe(s.master, s.slave), s.logTail());
    if (nowMs() - t0 > CATCHUP_LIMIT_MS)
      throw new NotConverged(
        `not caught up after ${CATCHUP_LIMIT_MS / 1000} s\nstatus ${JSON.stringify(st)}`,
        compareSafe(s.master, s.slave),
        s.logTail(),
      );
    await sleep(250);
  }
}

// The cheap convergence check: the expected state of the changed paths only

export interface Expected {
  readonly rel: Rel;
  readonly kind: 'absent' | 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  /** Names of a regular file (hard links). */
  readonly nlink: bigint;
  /** File content (small files) or its sha256 (large ones). */
  readonly content?: Buffer;
  readonly sha256?: string;
  /** A symlink's target. */
  readonly target?: Buffer;
}

const INLINE_CONTENT = 4 * 1024 * 1024;
/** Directories and symlinks get their mtime through a double: allowed 1 µs (as in compareTrees). */
const NON_FILE_MTIME_SLACK_NS = 1000n;

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

const KIND_ORDER = { file: 0, other: 1, absent: 2, symlink: 3, dir: 4 } as const;

/** The master's state of `rels` (relative; '' is the root), right now. */
export function expectState(master: string, rels: Iterable<Rel>): Expected[] {
  const out: Expected[] = [];
  for (const rel of rels) {
    const p = absOf(master, rel);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(p, { bigint: true });
    } catch {
      out.push({ rel, kind: 'absent', mode: 0, size: 0, mtimeNs: 0n, nlink: 0n });
      continue;
    }
    const base = { rel, mode: Number(st.mode & 0o7777n), size: Number(st.size), mtimeNs: st.mtimeNs, nlink: st.nlink };
    if (st.isFile()) {
      const data = fs.readFileSync(p);
      out.push(
        data.length <= INLINE_CONTENT
          ? { ...base, kind: 'file', content: data }
          : { ...base, kind: 'file', sha256: sha256(data) },
      );
    } else if (st.isSymbolicLink())
      out.push({ ...base, kind: 'symlink', target: fs.readlinkSync(p, { encoding: 'buffer' }) });
    else out.push({ ...base, kind: st.isDirectory() ? 'dir' : 'other' });
  }
  // Files first: their content is what lags; directory mtimes settle with them.
  return out.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}

/** Why the slave's `e.rel` does not match (undefined when it does). */
function mismatch(slave: string, e: Expected): string | undefined {
  const p = absOf(slave, e.rel);
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(p, { bigint: true });
  } catch {
    return e.kind === 'absent' ? undefined : 'missing';
  }
  if (e.kind === 'absent') return 'still present';
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  if (kind !== e.kind) return `type ${kind}, want ${e.kind}`;
  if (e.kind !== 'symlink' && Number(st.mode & 0o7777n) !== e.mode)
    return `mode ${(st.mode & 0o7777n).toString(8)}, want ${e.mode.toString(8)}`;
  if (e.kind === 'dir' || e.kind === 'symlink') {
    if (e.kind === 'symlink') {
      let target: Buffer;
      try {
        target = fs.readlinkSync(p, { encoding: 'buffer' });
      } catch {
        return 'unreadable link';
      }
      if (!target.equals(e.target ?? Buffer.alloc(0)))
        return `target ${displayPath(target)}, want ${displayPath(e.target ?? '')}`;
    }
    const d = st.mtimeNs > e.mtimeNs ? st.mtimeNs - e.mtimeNs : e.mtimeNs - st.mtimeNs;
    return d > NON_FILE_MTIME_SLACK_NS ? `mtime ${st.mtimeNs}, want ${e.mtimeNs}` : undefined;
  }
  if (e.kind !== 'file') return undefined;
  if (Number(st.size) !== e.size) return `size ${st.size}, want ${e.size}`;
  if (st.mtimeNs !== e.mtimeNs) return `mtime ${st.mtimeNs}, want ${e.mtimeNs}`;
  if (st.nlink !== e.nlink) return `${st.nlink} names, want ${e.nlink}`;
  let data: Buffer;
  try {
    data = fs.readFileSync(p);
  } catch {
    return 'unreadable';
  }
  if (e.content !== undefined ? !data.equals(e.content) : sha256(data) !== e.sha256) return 'content';
  return undefined;
}

/** First changed path the slave does not match yet, or undefined when all match. */
function firstMismatch(slave: string, expected: readonly Expected[]): string | undefined {
  for (const e of expected) {
    const why = mismatch(slave, e);
    if (why !== undefined) return `${showRel(e.rel)}: ${why}`;
  }
  return undefined;
}

interface Converged {
  /** ms from t0 to the moment the slave was seen equal (see waitEqual). */
  readonly lagMs: number;
  /** Duration of the full compare that confirmed it, s. */
  readonly compareS: number;
  /** Full compares made (more than one: the cheap check passed before the whole tree was equal). */
  readonly compares: number;
}

/**
 * Polls the changed paths every `pollMs` until they all match, then confirms with a full
 * compareTrees of the whole tree. The time reported is the poll at which every changed path
 * matched, when the first full compare then agrees. When it does not (the cheap check passed
 * before something else landed), full compares are repeated and the time is the end of the
 * first one that agrees. A slave not equal to the master within `limitMs` throws NotConverged
 * with the differences of the last full compare.
 */
export async function waitEqual(
  s: Session,
  expected: readonly Expected[],
  t0: number,
  pollMs: number,
  limitMs: number,
  what: string,
): Promise<Converged> {
  let cheapAt: number | undefined;
  let lastCheap: string | undefined;
  let diffs: Difference[] = [];
  let compares = 0;
  for (;;) {
    const t = nowMs();
    if (cheapAt === undefined) {
      lastCheap = firstMismatch(s.slave, expected);
      if (lastCheap === undefined) cheapAt = t;
    }
    if (cheapAt !== undefined) {
      const c0 = nowMs();
      diffs = compareSafe(s.master, s.slave);
      compares++;
      const c1 = nowMs();
      if (diffs.length === 0)
        return { lagMs: (compares === 1 ? cheapAt : c1) - t0, compareS: (c1 - c0) / 1000, compares };
      if (compares === 1)
        console.log(
          `  ${what}: every changed path matched after ${(cheapAt - t0).toFixed(0)} ms, but the full compare found ` +
            `${diffs.length} differences (first: ${diffs[0]?.path}: ${diffs[0]?.what}); comparing again until ${limitMs / 1000} s`,
        );
    }
    if (nowMs() - t0 > limitMs) {
      if (cheapAt === undefined) diffs = compareSafe(s.master, s.slave);
      throw new NotConverged(
        `${what}: the slave did not equal the master within ${limitMs / 1000} s; ` +
          (cheapAt === undefined
            ? `a changed path still differs (${lastCheap})`
            : `every changed path matched after ${(cheapAt - t0).toFixed(0)} ms, but ${compares} full compares found differences`) +
          `\nstatus ${JSON.stringify(s.status())}`,
        diffs,
        s.logTail(),
      );
    }
    if (!s.running())
      throw new NotConverged(`${what}: the session daemon is not running`, compareSafe(s.master, s.slave), s.logTail());
    await sleep(cheapAt === undefined ? pollMs : 250);
  }
}
