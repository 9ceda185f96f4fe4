// runVerify: one verify of a master/slave pair. Connects to the slave agent as a sync does
// (locally or over ssh), walks both trees (walk.ts), hands each directory's lines to the
// caller (and, with repair, to a Repairer), saves its position about once a second, and
// resumes from a saved position when the last verify of the session stopped half-way with
// the same options.

import { randomInt } from 'node:crypto';
import { decodePosition, encodePosition } from '../changelog/index.js';
import type { DirPath } from '../changelog/index.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { GeorepError } from '../errors.js';
import type { SessionRunOptions } from '../master/session-setup.js';
import type { DoneLine, LineSink, Totals } from './lines.js';
import { divergentOf, emptyTotals } from './lines.js';
import { LinkGroups } from './links.js';
import { clearPosition, loadPosition, savePosition } from './position.js';
import type { VerifyPosition } from './position.js';
import { sessionRepairer } from './repair.js';
import type { RepairReport } from './repair.js';
import { Sampler } from './sample.js';
import { openSession } from './session.js';
import { SlaveDirs } from './slave-dirs.js';
import { VerifyWalk } from './walk.js';
import type { Resume } from './walk.js';

export interface VerifyProgress {
  readonly examined: number;
  readonly divergent: number;
  /** Entries the session's index holds: about what the walk will examine (0: unknown). */
  readonly expected: number;
  readonly elapsedMs: number;
}

export interface VerifyOptions extends Omit<SessionRunOptions, 'clock'> {
  readonly clock?: Clock;
  readonly checksum: boolean;
  /** Fraction of entries examined, in (0, 1]. */
  readonly sample: number;
  /** Ignore a saved position: start from the root. */
  readonly restart: boolean;
  /** Repair what diverges as the lines come (verify --repair). */
  readonly repair: boolean;
  /** With repair: remove extra slave entries even over the mass-delete brake's limits. */
  readonly allowMassDelete: boolean;
  readonly signal?: AbortSignal;
  readonly onLines: LineSink;
  readonly onProgress?: (p: VerifyProgress) => void;
}

export interface VerifyResult {
  readonly done: DoneLine;
  /** With `repair`: what was dropped and queued. */
  readonly repair?: RepairReport;
}

/** How often the position is saved (a killed verify redoes at most this much). */
const SAVE_EVERY_MS = 1000;
/** Directories read ahead of the one compared, in visit order, with their slave listings asked (master-ahead.ts). */
export const PREFETCH_DIRS = 16;

export async function runVerify(opts: VerifyOptions): Promise<VerifyResult> {
  const clock = opts.clock ?? systemClock;
  const startedMs = clock.nowMs();
  if (!(opts.sample > 0 && opts.sample <= 1))
    throw new GeorepError('USAGE', `--sample takes a fraction in (0, 1], got ${opts.sample}`);
  const session = await openSession(opts, clock, opts.repair);
  try {
    const { index, stop, conn, hello } = session;
    const saved = opts.restart ? undefined : usablePosition(opts, loadPosition(opts.sessionDir));
    const seed = saved?.seed ?? randomInt(0, 2 ** 31);
    const resume: Resume | undefined =
      saved === undefined
        ? undefined
        : { after: decodePosition(saved.after) ?? [], totals: saved.totals, links: new LinkGroups(saved.links) };
    if (saved !== undefined) opts.log.info('resuming the last verify where it stopped', { after: saved.after });
    const repairer =
      opts.repair && index !== undefined ? sessionRepairer(opts, index, conn.client, clock, stop) : undefined;
    const before = saved?.elapsedMs ?? 0;
    // Counting the index is a scan: only for a progress display.
    const expected = opts.onProgress === undefined ? 0 : (index?.count() ?? 0);
    let lastSave = clock.nowMs();
    let lastDone: { after: DirPath; elapsedMs: number; totals: Totals } | undefined;
    const walk: VerifyWalk = new VerifyWalk(
      {
        checksum: opts.checksum,
        sampler: new Sampler(opts.sample, seed),
        rules: { owners: hello.isRoot },
        devices: hello.isRoot,
        rate: opts.config.verifyRate,
        prefetch: PREFETCH_DIRS,
      },
      {
        masterRoot: Buffer.from(opts.masterRoot),
        slave: new SlaveDirs(conn.client, stop),
        index,
        clock,
        signal: stop,
        emit: async (lines) => {
          await opts.onLines(lines);
          if (repairer !== undefined) for (const l of lines) await repairer.add(l);
        },
        done: (after) => {
          const now = clock.nowMs();
          lastDone = { after, elapsedMs: before + now - startedMs, totals: { ...walk.totals } };
          opts.onProgress?.({
            examined: walk.totals.examined,
            divergent: divergentOf(walk.totals),
            expected,
            elapsedMs: lastDone.elapsedMs,
          });
          // With repair, a resumed run would not repair what the first one found: no position.
          if (repairer !== undefined || now - lastSave < SAVE_EVERY_MS) return;
          lastSave = now;
          save(opts, seed, after, walk, lastDone.elapsedMs);
        },
      },
      emptyTotals(),
      resume,
    );
    try {
      await walk.run();
    } catch (e) {
      // Stopped (Ctrl-C, SIGTERM): the next verify goes on after the last directory done, if
      // nothing of the next one was counted yet. Otherwise the save made at a directory's end
      // (at most a second old) stands: saved now, the totals and hard-link groups would hold
      // part of a directory the resumed run does again (one interrupted resume counted a
      // directory twice).
      const between = lastDone !== undefined && sameTotals(lastDone.totals, walk.totals);
      if (lastDone !== undefined && between && repairer === undefined && opts.signal?.aborted === true)
        save(opts, seed, lastDone.after, walk, lastDone.elapsedMs);
      if (opts.signal?.aborted === true) throw opts.signal.reason;
      if (conn.client.died.aborted) throw conn.client.died.reason;
      throw e;
    }
    const repair = await repairer?.finish(walk.totals.examined);
    clearPosition(opts.sessionDir);
    const done = doneLine(walk.totals, before + clock.nowMs() - startedMs, opts, saved !== undefined);
    // The peak resident set of this process: what bounded memory means, measurable per run.
    opts.log.info('verify done', {
      examined: done.totals.examined,
      divergent: done.divergent,
      seconds: done.seconds,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    return repair === undefined ? { done } : { done, repair };
  } finally {
    await session.close();
  }
}

function save(opts: VerifyOptions, seed: number, after: DirPath, walk: VerifyWalk, elapsedMs: number): void {
  savePosition(opts.sessionDir, {
    checksum: opts.checksum,
    sample: opts.sample,
    seed,
    after: encodePosition(after),
    totals: walk.totals,
    links: walk.links.state(),
    elapsedMs,
  });
}

/** A saved position this run may resume from: the same comparison, else it starts over. */
function usablePosition(opts: VerifyOptions, p: VerifyPosition | undefined): VerifyPosition | undefined {
  if (p === undefined) return undefined;
  if (opts.repair) return undefined; // repair needs every divergent line of this run
  if (p.checksum === opts.checksum && p.sample === opts.sample) return p;
  opts.log.info('the last verify stopped half-way with other options; starting over');
  return undefined;
}

export function doneLine(
  totals: Totals,
  elapsedMs: number,
  opts: { checksum: boolean; sample: number },
  resumed: boolean,
): DoneLine {
  return {
    done: true,
    divergent: divergentOf(totals),
    totals,
    seconds: Math.round(elapsedMs) / 1000,
    checksum: opts.checksum,
    sample: opts.sample,
    resumed,
  };
}

/** Whether two totals count the same (the walk has not counted anything between them). */
function sameTotals(a: Totals, b: Totals): boolean {
  return (Object.keys(a) as (keyof Totals)[]).every((k) => a[k] === b[k]);
}
