// The failure ledger's writer for a live session's turns (hybrid, history and changelog
// crawls alike): what a turn could not bring to the slave is filed with its cause, attempts
// and backoff before the turn's stime moves, and retried items that landed leave it. The
// ledger, not stime, keeps what is missing; a checkpoint completes only with it empty.

import fs from 'node:fs';
import type { Gfid } from '../changelog/index.js';
import type { LedgerItem } from '../store/index.js';
import type { ItemProblem } from './batch-runner.js';
import type { MasterDeps } from './master-deps.js';
import { PROBLEM } from '../problem-codes.js';
import { hasErrno } from '../errors.js';
import { queueSubtree } from './subtree-resync.js';

const ERRNO_CODE = /^E[A-Z0-9]+$/;

/**
 * Files a turn's problems (its TurnResult's) in the ledger and resolves the retried items that
 * landed. `sinceMs` is the sync time when the turn began: every change the turn read was made
 * after it.
 */
export function recordProblems(
  deps: Pick<MasterDeps, 'index' | 'clock' | 'log' | 'crawl'> & Partial<Pick<MasterDeps, 'rootPath'>>,
  problems: ReadonlyMap<Gfid, ItemProblem>,
  retried: readonly Gfid[],
  sinceMs: number,
): void {
  const { index, clock, log, crawl } = deps;
  const now = clock.nowMs();
  index.transaction(() => {
    for (const [gfid, p] of problems) {
      if (index.objectOf(gfid) === undefined) continue; // gone from the master: nothing to sync
      const prev = index.ledgerGet(gfid);
      const attempts = (prev?.attempts ?? 0) + 1; // one filed early (fileEarly) said failure_added then
      index.ledgerRecord({ ...ledgerFields(gfid, p), changeMs: sinceMs }, now, now + backoffMs(crawl, attempts));
      if (prev === undefined)
        log.warn(`failed: ${p.path}: ${p.message}`, { event: 'failure_added', code: p.code, gfid });
    }
    for (const dir of lostDirs(index, problems)) {
      queueSubtree(index, dir, {
        message: 'the slave lacks a directory above it; synced again',
        changeMs: sinceMs,
        nowMs: now,
        held: 'keep',
      });
    }
    for (const gfid of retried) {
      if (problems.has(gfid)) continue;
      const item = index.ledgerGet(gfid);
      if (item !== undefined && deps.rootPath !== undefined && stillUnreadable(deps.rootPath, index, item)) {
        // Its retry made the directory itself; what it holds is still out of reach.
        const next = now + backoffMs(crawl, item.attempts + 1);
        index.ledgerRecord({ ...ledgerFields(gfid, item), changeMs: item.changeMs }, now, next);
        continue;
      }
      index.ledgerResolve(gfid);
      if (item !== undefined && item.code !== PROBLEM.RESYNC) {
        log.info(`resolved: ${item.path}`, {
          event: 'failure_resolved',
          code: item.code,
          attempts: item.attempts,
          gfid,
        });
      }
    }
  });
}

/** The wait before the retry after `attempts` failed attempts: retry-backoff, doubling up to retry-backoff-max. */
function backoffMs(crawl: MasterDeps['crawl'], attempts: number): number {
  return Math.min(crawl.retryBackoffMax, crawl.retryBackoff * 2 ** Math.min(attempts - 1, 30)) * 1000;
}

function ledgerFields(
  gfid: Gfid,
  p: ItemProblem,
): { gfid: Gfid; path: string; code: string; errno: string | null; message: string } {
  return { gfid, path: p.path, code: p.code, errno: ERRNO_CODE.test(p.code) ? p.code : null, message: p.message };
}

const GFID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The directories the slave said it lacks (GFID_UNKNOWN: a setattr or RENAME of the directory,
 * or "parent directory X is not known", whose problem path is X). The master may have
 * confirmed everything below one long ago; the slave lost it with the directory (seeded random
 * live test, seed 83: a burst of directory renames over empty ones). Retrying the failed items
 * alone made the directory again, empty, and a checkpoint completed with 38 entries missing.
 */
function lostDirs(index: MasterDeps['index'], problems: ReadonlyMap<Gfid, ItemProblem>): Set<Gfid> {
  const dirs = new Set<Gfid>();
  for (const [gfid, p] of problems) {
    if (p.code !== 'GFID_UNKNOWN') continue;
    const named = GFID_RE.test(p.path) ? (p.path as Gfid) : gfid; // matched the gfid pattern
    for (const g of [named, gfid]) if (index.objectOf(g)?.type === 'dir') dirs.add(g);
  }
  return dirs;
}

/**
 * A directory the crawl could not list (its problem code EACCES or EPERM) that this user still
 * may not read. A retry sends the directory itself, which lands, but not what it holds: its item
 * stays, so that status counts it and no checkpoint completes without it (before, the retry
 * resolved it and status said "No failures" with the directory's files missing).
 */
function stillUnreadable(root: string, index: MasterDeps['index'], item: LedgerItem): boolean {
  if (item.code !== 'EACCES' && item.code !== 'EPERM') return false;
  if (index.objectOf(item.gfid)?.type !== 'dir') return false;
  const rel = index.pathOf(item.gfid);
  if (rel === undefined) return false;
  try {
    fs.accessSync(
      rel.length === 0 ? root : Buffer.concat([Buffer.from(root + '/'), rel]),
      fs.constants.R_OK | fs.constants.X_OK,
    );
    return false;
  } catch (e) {
    return hasErrno(e, 'EACCES', 'EPERM');
  }
}

/**
 * Queues problems a turn found so far that the ledger does not hold yet, counting no attempt
 * (recordProblems counts it at the turn's end). A live turn calls it, in one transaction with
 * the move of its entry-ops position past a batch: once moved, a crash replays the batch
 * without its entry ops, and a failed op whose problem was only in memory was lost. The slave
 * then kept entries the master had renamed over or lacked some it had, with "No failures" and
 * a completed checkpoint (live probe, kill -9 of the monitor 55 ms after a batch's entry ops).
 */
export function fileEarly(
  deps: Pick<MasterDeps, 'index' | 'clock' | 'crawl' | 'log'>,
  problems: ReadonlyMap<Gfid, ItemProblem>,
  filed: Set<Gfid>,
  sinceMs: number,
): void {
  const { index, log } = deps;
  const now = deps.clock.nowMs();
  for (const [gfid, p] of problems) {
    if (filed.has(gfid)) continue;
    filed.add(gfid);
    if (index.objectOf(gfid) === undefined || index.ledgerGet(gfid) !== undefined) continue;
    const next = now + deps.crawl.retryBackoff * 1000;
    index.ledgerRecord({ ...ledgerFields(gfid, p), changeMs: sinceMs }, now, next, 0);
    log.warn(`failed: ${p.path}: ${p.message}`, { event: 'failure_added', code: p.code, gfid });
  }
}
