// One box through slave and engine: stageData -> transfer -> commitData, then one DataOutcome
// per item. Invariant: an item is ok only when the slave committed a file with the size and
// mtime the master planned (or, failing that, with the master file's current ones), or when
// its master file is gone (vanished). A clean exit alone proves nothing about which file the
// engine read at a path that went stale.

import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { displayPath } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import type { Committed, OpFailure, SlaveCaller, StageItem } from '../slave/index.js';
import { nsOf } from '../slave/index.js';
import { ENGINE_FAILURE_CODE } from './engine.js';
import type { SyncEngine, TransferResult } from './engine.js';
import type { DataItem, DataOutcome, QuickCheck } from './job.js';
import { masterFile } from './master-file.js';
import { isTransferError } from './transfer-error.js';
import type { TransferError } from './transfer-error.js';

export interface BoxRequest {
  /** The master root (absolute); item paths are relative to it. */
  readonly sourceRoot: string;
  /** The slave's staging dir; the box gets a folder of its own inside it. */
  readonly stagingDir: string;
  /** Distinct gfids (the Syncer never puts one gfid twice in a box), at most LIMITS.gfidsPerCall. */
  readonly items: readonly DataItem[];
  readonly quickCheck: QuickCheck;
  /** Every item is sparse, or none is: a box never mixes them. */
  readonly sparse: boolean;
  /**
   * Check each delivered file's master file once more after the copy: same inode, size, mtime
   * and ctime as planned, or CHANGED_DURING_SYNC. For a run no recorder watches (a one-shot):
   * rsync stamps its copy with the mtime it listed before it read the data, so a write during the
   * read gave a copy that matched the plan and was taken, torn, with exit 0 (one-shot probe). A
   * live session needs no check: the recorder saw that write and its D record sends the file
   * again.
   */
  readonly checkSettled: boolean;
  readonly signal?: AbortSignal;
}

export interface BoxDeps {
  readonly slave: SlaveCaller;
  readonly engine: SyncEngine;
}

export interface BoxReport {
  /** Aligned with the request's items. */
  readonly outcomes: readonly DataOutcome[];
  readonly bytesSent: number;
  /** The engine's exit code; undefined when nothing was sent or the process never exited. */
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  /** A failure of the whole transfer (every sent item failed with it). */
  readonly fatal: TransferError | undefined;
}

/** What is known about the box once it has run, for judging each item. */
interface Evidence {
  readonly req: BoxRequest;
  readonly engine: SyncEngine;
  readonly unknown: ReadonlySet<Gfid>;
  readonly sent: TransferResult | TransferError | undefined;
  readonly committed: ReadonlyMap<Gfid, Committed>;
  readonly failures: ReadonlyMap<Gfid, OpFailure>;
}

export async function runBox(req: BoxRequest, deps: BoxDeps): Promise<BoxReport> {
  const box = `b${randomBytes(8).toString('hex')}`; // unique: boxes of one path never share a folder
  const staged: StageItem[] = req.items.map((i) => ({ gfid: i.gfid, path: displayPath(i.path) }));
  const basis = deps.engine.usesBasis;
  const { unknown } = await deps.slave.call('stageData', { box, items: staged, basis }, req.signal);
  const unknownSet = new Set(unknown);
  const toSend = req.items.filter((i) => !unknownSet.has(i.gfid));
  const sent = toSend.length === 0 ? undefined : await transfer(deps.engine, req, box, toSend);
  // Committed even after a fatal exit (a full disk, a killed rsync) where the engine leaves only
  // whole files (rsync renames each complete file into the box), each checked against the
  // planned size and mtime below, so the files that did land are kept. Not where it writes in
  // place (tar): a cut-off file would replace the slave's good copy (remote probe: a full slave
  // disk emptied files the slave held). The commit also removes the box folder.
  const lost = sent === undefined || (isTransferError(sent) && !deps.engine.wholeFilesOnFailure);
  const delivered = lost ? [] : staged.filter((s) => !unknownSet.has(s.gfid));
  const c = await deps.slave.call('commitData', { box, items: delivered }, req.signal);
  const evidence: Evidence = {
    req,
    engine: deps.engine,
    unknown: unknownSet,
    sent,
    committed: new Map(c.committed.map((x) => [x.gfid, x])),
    failures: new Map(c.failures.map((f) => [f.gfid, f])),
  };
  const outcomes = await Promise.all(req.items.map((i) => judge(i, evidence)));
  const fatal = sent !== undefined && isTransferError(sent) ? sent : undefined;
  const done = sent !== undefined && !isTransferError(sent) ? sent : undefined;
  return {
    outcomes,
    bytesSent: done?.bytesSent ?? 0,
    exitCode: sent?.exitCode,
    durationMs: sent?.durationMs ?? 0,
    fatal,
  };
}

/** A failed transfer is a value here: it becomes every sent item's outcome, not an exception. */
async function transfer(
  engine: SyncEngine,
  req: BoxRequest,
  box: string,
  items: readonly DataItem[],
): Promise<TransferResult | TransferError> {
  try {
    const stagingDir = `${req.stagingDir.replace(/\/+$/, '')}/${box}`;
    return await engine.transfer({
      sourceRoot: req.sourceRoot,
      stagingDir,
      paths: items.map((i) => i.path),
      quickCheck: req.quickCheck,
      sparse: req.sparse,
      ...(req.signal === undefined ? {} : { signal: req.signal }),
    });
  } catch (e) {
    if (isTransferError(e)) return e;
    throw e;
  }
}

async function judge(item: DataItem, ev: Evidence): Promise<DataOutcome> {
  const { gfid } = item;
  const failure = ev.failures.get(gfid);
  if (failure !== undefined) return { gfid, ok: false, code: failure.code, message: failure.message };
  const committed = ev.committed.get(gfid);
  const fatal = ev.sent !== undefined && isTransferError(ev.sent) ? ev.sent : undefined;
  const proof = committed !== undefined && provable(committed, ev.req.quickCheck) ? committed : undefined;
  if (proof !== undefined && same(proof, BigInt(item.size), item.mtimeNs)) {
    if (!ev.req.checkSettled) return { gfid, ok: true, vanished: false };
    const after = await masterFile(ev.req.sourceRoot, item.path);
    if (after === undefined) return { gfid, ok: true, vanished: true };
    if (settled(item, after)) return { gfid, ok: true, vanished: false };
    return changedDuringSync(item);
  }
  if (fatal !== undefined && !ev.unknown.has(gfid))
    return { gfid, ok: false, code: fatal.code, message: fatal.message };
  const now = await masterFile(ev.req.sourceRoot, item.path);
  if (now === undefined) return { gfid, ok: true, vanished: true };
  // Changed after planning but before the engine read it: the slave holds the current content,
  // provided the path still names the planned file (not another one moved there since).
  if (proof !== undefined && now.ino === item.ino && same(proof, now.size, now.mtimeNs))
    return { gfid, ok: true, vanished: false };
  // The engine wrote a file that matches neither the planned state nor the current one.
  if (proof?.replaced === true) return changedDuringSync(item);
  return { gfid, ok: false, ...doubtOf(item, ev) };
}

function changedDuringSync(item: DataItem): DataOutcome {
  return {
    gfid: item.gfid,
    ok: false,
    code: 'CHANGED_DURING_SYNC',
    message: `${displayPath(item.path)} changed on the master while it was copied; run the sync again to send the settled content`,
  };
}

/** The master file is still the one planned, untouched since (a chmod counts: its ctime moved). */
function settled(item: DataItem, now: BigIntStats): boolean {
  return (
    now.ino === item.ino &&
    now.size === BigInt(item.size) &&
    now.mtimeNs === item.mtimeNs &&
    now.ctimeNs === item.ctimeNs
  );
}

/**
 * Whether a committed file can vouch for its content. A kept basis under quick check 'off'
 * never can: --ignore-times makes rsync write a new file for every path it reads, so the
 * basis left in place means it never read this one (a partial exit, or a path that went
 * missing before rsync got to it, which --ignore-missing-args passes over in silence: seeded
 * random live test, seed 3, the slave's old content confirmed when the file's directory was
 * renamed between planning and rsync). Under 'ns' a kept basis is rsync's quick-check verdict.
 */
function provable(c: Committed, quickCheck: QuickCheck): boolean {
  return c.replaced || quickCheck === 'ns';
}

function same(c: Committed, size: bigint, mtimeNs: bigint): boolean {
  return BigInt(c.size) === size && nsOf(c.mtime) === mtimeNs;
}

function doubtOf(item: DataItem, ev: Evidence): { code: string; message: string } {
  const where = displayPath(item.path);
  if (ev.unknown.has(item.gfid)) {
    return {
      code: 'GFID_UNKNOWN',
      message: `the slave has no entry for ${where} (gfid ${item.gfid}): its entry op failed or was not sent first`,
    };
  }
  const sent = ev.sent !== undefined && !isTransferError(ev.sent) ? ev.sent : undefined;
  const why =
    sent === undefined ? '' : ` (exit code ${sent.exitCode}${sent.stderrTail === '' ? '' : ': ' + sent.stderrTail})`;
  return { code: ENGINE_FAILURE_CODE[ev.engine.name], message: `${ev.engine.name} did not deliver ${where}${why}` };
}
