// One box through slave and engine: stageData -> transfer -> commitData, then one DataOutcome
// per gfid. Invariant: a gfid is ok only when the slave committed its staged file, or when its
// master file is gone (vanished); anything the engine may not have delivered is not committed.

import type { Gfid } from '../changelog/index.js';
import { LIMITS } from '../slave/index.js';
import type { OpFailure, SlaveCaller } from '../slave/index.js';
import { ENGINE_FAILURE_CODE } from './engine.js';
import type { SyncEngine, TransferResult } from './engine.js';
import { farmTargetExists } from './farm.js';
import type { DataOutcome, QuickCheck } from './job.js';
import { isTransferError } from './transfer-error.js';
import type { TransferError } from './transfer-error.js';

export interface BoxRequest {
  readonly farmDir: string;
  readonly stagingDir: string;
  /** Distinct gfids (the Syncer never puts one gfid twice in a box). */
  readonly gfids: readonly Gfid[];
  readonly quickCheck: QuickCheck;
  readonly signal?: AbortSignal;
}

export interface BoxDeps {
  readonly slave: SlaveCaller;
  readonly engine: SyncEngine;
}

export interface BoxReport {
  /** Aligned with the request's gfids. */
  readonly outcomes: readonly DataOutcome[];
  readonly bytesSent: number;
  /** The engine's exit code; undefined when nothing was sent or the process never exited. */
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  /** A failure of the whole transfer (every sent item failed with it). */
  readonly fatal: TransferError | undefined;
}

/** What is known about each gfid once the box has run, for judging it. */
interface Evidence {
  readonly farmDir: string;
  readonly engine: SyncEngine;
  readonly unknown: ReadonlySet<Gfid>;
  readonly sent: TransferResult | TransferError | undefined;
  readonly missing: ReadonlySet<Gfid>;
  readonly failures: ReadonlyMap<Gfid, OpFailure>;
}

export async function runBox(req: BoxRequest, deps: BoxDeps): Promise<BoxReport> {
  const unknown = await stage(deps.slave, req.gfids, deps.engine.usesBasis, req.signal);
  const toSend = req.gfids.filter((g) => !unknown.has(g));
  const sent = toSend.length === 0 ? undefined : await transfer(deps.engine, req, toSend);
  const delivered = sent === undefined || isTransferError(sent) ? [] : toSend.filter((g) => !sent.itemErrors.has(g));
  const { missing, failures } = await commit(deps.slave, delivered, req.signal);
  const evidence: Evidence = { farmDir: req.farmDir, engine: deps.engine, unknown, sent, missing, failures };
  const outcomes = await Promise.all(req.gfids.map((g) => judge(g, evidence)));
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
async function transfer(engine: SyncEngine, req: BoxRequest, gfids: readonly Gfid[]): Promise<TransferResult | TransferError> {
  try {
    return await engine.transfer({ ...req, gfids });
  } catch (e) {
    if (isTransferError(e)) return e;
    throw e;
  }
}

async function judge(gfid: Gfid, ev: Evidence): Promise<DataOutcome> {
  const failure = ev.failures.get(gfid);
  if (failure !== undefined) return { gfid, ok: false, code: failure.code, message: failure.message };
  if (ev.sent !== undefined && isTransferError(ev.sent) && !ev.unknown.has(gfid)) {
    return { gfid, ok: false, code: ev.sent.code, message: ev.sent.message };
  }
  const doubt = doubtOf(gfid, ev);
  if (doubt === undefined) return { gfid, ok: true, vanished: false };
  // Not delivered: fine if the master file is gone (deleted or renamed away since the farm
  // was built; its own entry op reaches the slave), a failure if it is still there.
  if (!(await farmTargetExists(ev.farmDir, gfid))) return { gfid, ok: true, vanished: true };
  return { gfid, ok: false, ...doubt };
}

function doubtOf(gfid: Gfid, ev: Evidence): { code: string; message: string } | undefined {
  if (ev.unknown.has(gfid)) {
    return { code: 'GFID_UNKNOWN', message: `the slave has no entry for gfid ${gfid}: its entry op failed or was not sent first` };
  }
  const code = ENGINE_FAILURE_CODE[ev.engine.name];
  const sent = ev.sent !== undefined && !isTransferError(ev.sent) ? ev.sent : undefined;
  const line = sent?.itemErrors.get(gfid);
  if (line !== undefined) return { code, message: `${ev.engine.name} did not deliver gfid ${gfid}: ${line}` };
  if (ev.missing.has(gfid)) {
    const why = sent === undefined ? '' : ` (exit code ${sent.exitCode}${sent.stderrTail === '' ? '' : ': ' + sent.stderrTail})`;
    return { code, message: `${ev.engine.name} did not deliver gfid ${gfid}${why}` };
  }
  return undefined;
}

async function stage(slave: SlaveCaller, gfids: readonly Gfid[], basis: boolean, signal?: AbortSignal): Promise<Set<Gfid>> {
  const unknown = new Set<Gfid>();
  for (const part of chunks(gfids, LIMITS.gfidsPerCall)) {
    const r = await slave.call('stageData', { gfids: part, basis }, signal);
    for (const g of r.unknown) unknown.add(g);
  }
  return unknown;
}

interface CommitSummary {
  readonly missing: Set<Gfid>;
  readonly failures: Map<Gfid, OpFailure>;
}

async function commit(slave: SlaveCaller, gfids: readonly Gfid[], signal?: AbortSignal): Promise<CommitSummary> {
  const summary: CommitSummary = { missing: new Set(), failures: new Map() };
  for (const part of chunks(gfids, LIMITS.gfidsPerCall)) {
    const r = await slave.call('commitData', { gfids: part }, signal);
    for (const g of r.missing) summary.missing.add(g);
    for (const f of r.failures) summary.failures.set(f.gfid, f);
  }
  return summary;
}

/** Splits a gfid list to fit LIMITS.gfidsPerCall per request. */
export function* chunks<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
