// runAuditRound: one scheduled audit of a live session, run by its worker. It is georep
// verify's walk (walk.ts) with the session's audit-sample, audit-checksum and verify-rate,
// through an agent of its own: the worker's agent serves one request at a time, and a listing
// or a hash of the audit must never wait in front of (or behind) a batch of the replication.
// Each divergent line is judged by the drift rule (drift-judge.ts); drift is logged as an
// `audit_drift` event and, with audit-repair, handed to a Repairer on the worker's own index,
// so the repair is queued in the failure ledger the worker's next turns retry. The verify lock
// keeps an audit and a `georep verify`/`repair` of the session from running at once; an
// audit saves no verify position (a verify the operator interrupted keeps its own).

import { randomInt } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readStime } from '../store/index.js';
import type { HeldDeletes, SqliteGfidIndex } from '../store/index.js';
import type { Clock } from '../clock.js';
import { connectSlave, greet } from '../master/session-setup.js';
import type { SessionRunOptions, SlaveConnection } from '../master/session-setup.js';
import type { AuditResult } from './audit-state.js';
import { DriftJudge } from './drift-judge.js';
import { divergentOf, emptyTotals } from './lines.js';
import type { EntryLine } from './lines.js';
import { Repairer } from './repair.js';
import { PREFETCH_DIRS } from './run.js';
import { Sampler } from './sample.js';
import { SlaveDirs } from './slave-dirs.js';
import { VerifyLock } from './verify-lock.js';
import { VerifyWalk } from './walk.js';

/** Drifted entries logged one by one per audit (the closing line gives the count). */
export const LOGGED_DRIFT = 20;
/** Calls an audit may have in flight at once (listings asked ahead, digests), as verify. */
const IN_FLIGHT_CALLS = 256;

export interface AuditRoundOptions {
  /** The worker's session (the agent command, the slave, the config with the audit-* options). */
  readonly session: SessionRunOptions;
  /** The worker's own index: stime, gfids, the failure ledger (repair queues there). */
  readonly index: SqliteGfidIndex;
  readonly held: HeldDeletes;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** The sample's seed (tests); random by default, so each audit examines other entries. */
  readonly seed?: number;
}

export async function runAuditRound(opts: AuditRoundOptions): Promise<AuditResult> {
  const { session, index, clock } = opts;
  const { config, log } = session;
  const startedMs = clock.nowMs();
  const lock = VerifyLock.acquire(session.sessionDir);
  let conn: SlaveConnection | undefined;
  try {
    // Read before the slave is: the slave holds at least this much of the master.
    const judge = new DriftJudge(
      { masterRoot: Buffer.from(session.masterRoot), index, held: opts.held, ignoreDeletes: config.ignoreDeletes },
      readStime(index),
    );
    conn = await connectSlave({ ...session, clock }, opts.signal);
    const client = conn.client;
    const hello = await greet(client, false, { ...session, signal: opts.signal }, clock);
    const stop = AbortSignal.any([opts.signal, client.died]);
    setMaxListeners(IN_FLIGHT_CALLS, stop);
    const repairer = config.auditRepair
      ? new Repairer({
          index,
          slave: client,
          clock,
          log,
          ignoreDeletes: config.ignoreDeletes,
          brake: config,
          allowMassDelete: false,
          masterRoot: session.masterRoot,
          signal: stop,
        })
      : undefined;
    const counts = { drift: 0, inFlight: 0, known: 0 };
    const onDrift = async (l: EntryLine): Promise<void> => {
      if (counts.drift < LOGGED_DRIFT) {
        log.warn(
          `audit: the slave differs at ${l.path}: ${l.verdict} (master ${l.master ?? '?'}, slave ${l.slave ?? '?'})`,
          {
            event: 'audit_drift',
            path: l.path,
            verdict: l.verdict,
            gfid: l.gfid,
            master: l.master ?? null,
            slave: l.slave ?? null,
          },
        );
      }
      counts.drift++;
      await repairer?.add(l);
    };
    const walk = new VerifyWalk(
      {
        checksum: config.auditChecksum,
        sampler: new Sampler(config.auditSample, opts.seed ?? randomInt(0, 2 ** 31)),
        rules: { owners: hello.isRoot },
        devices: hello.isRoot,
        rate: config.verifyRate,
        prefetch: PREFETCH_DIRS,
      },
      {
        masterRoot: Buffer.from(session.masterRoot),
        slave: new SlaveDirs(client, stop),
        index,
        clock,
        signal: stop,
        emit: async (lines) => {
          for (const l of lines) {
            if (l.verdict === 'ok') continue;
            const kind = judge.judge(l);
            if (kind === 'drift') await onDrift(l);
            else if (kind === 'known') counts.known++;
            else counts.inFlight++;
          }
        },
      },
      emptyTotals(),
    );
    try {
      await walk.run();
    } catch (e) {
      if (client.died.aborted && !opts.signal.aborted) throw client.died.reason;
      throw e;
    }
    const repair = await repairer?.finish(walk.totals.examined);
    const result: AuditResult = {
      startedMs,
      endedMs: clock.nowMs(),
      examined: walk.totals.examined,
      ...counts,
      sample: config.auditSample,
      checksum: config.auditChecksum,
      repaired: repair === undefined ? null : repair.queued + repair.dropped,
    };
    const text =
      `audit: ${result.drift} of ${result.examined} entries examined differ on the slave` +
      ` (${result.inFlight} more changed since the last sync, ${result.known} tracked already)` +
      (repair === undefined ? '' : `; repair queued ${repair.queued}, cleared ${repair.dropped} slave places`);
    const fields = {
      event: 'audit_done',
      examined: result.examined,
      divergent: divergentOf(walk.totals),
      drift: result.drift,
      inFlight: result.inFlight,
      known: result.known,
      repaired: result.repaired,
      seconds: (result.endedMs - startedMs) / 1000,
    };
    if (result.drift > 0) log.warn(text, fields);
    else log.info(text, fields);
    return result;
  } finally {
    try {
      await conn?.close();
    } finally {
      lock.release();
    }
  }
}
