// The first sync: `rsync -a` and `rsync -aH` of the master into empty directories around the
// daemon's first sync on a fresh workdir (start → caught up, confirmed by compareTrees), with the
// peak RSS per role and the CPU of the session's processes. firstSync alone (no rsync) also
// starts the rss scenario's session and a fresh session after a failure.

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { median } from '../../report.js';
import { timed } from '../../measure.js';
import { nowMs } from '../clock.js';
import { compareSafe, waitFirstCaughtUp } from '../convergence.js';
import { fail } from '../failure.js';
import { CLK_TCK, statusKb } from '../proc-sample.js';
import { f2, stats } from '../report.js';
import type { Ctx } from '../scenario-run.js';
import { ROLES } from '../session-driver.js';
import type { Role, Session } from '../session-driver.js';

/** Peak RSS per role (kB, VmHWM) while `poll` is called; warns when a process was replaced. */
class RssTracker {
  readonly peakKb: Record<Role, number> = { monitor: 0, recorder: 0, worker: 0, agent: 0, other: 0 };
  private readonly seen = new Map<Role, Set<number>>();

  constructor(private readonly s: Session) {}

  poll(): void {
    for (const proc of this.s.tree()) {
      const kb = statusKb(proc.pid, 'VmHWM');
      if (kb === undefined) continue;
      this.peakKb[proc.role] = Math.max(this.peakKb[proc.role], kb);
      if (proc.role !== 'other') {
        const set = this.seen.get(proc.role) ?? new Set<number>();
        set.add(proc.pid);
        this.seen.set(proc.role, set);
      }
    }
  }

  /** Roles whose process changed (a crash and restart) while tracked. */
  restarted(): string[] {
    return [...this.seen.entries()].filter(([, pids]) => pids.size > 1).map(([role, pids]) => `${role} ${[...pids]}`);
  }
}

export const mb = (kb: number): number => (kb * 1024) / 1e6;

interface FirstSyncResult {
  readonly caughtUpS: number;
  readonly compareS: number;
  readonly peakMb: Record<Role, number>;
  readonly cpuS: number;
}

/** Starts the daemon on a fresh workdir and waits for the first caught-up state. */
export async function firstSync(s: Session, label: string): Promise<FirstSyncResult> {
  const rss = new RssTracker(s);
  const sinceEpoch = Date.now();
  const t0 = nowMs();
  await s.start();
  const r = await waitFirstCaughtUp(s, t0, sinceEpoch, () => rss.poll());
  rss.poll();
  // Every process of the tree started with this start: its CPU so far is the first sync's.
  const cpuS = s.tree().reduce((a, proc) => a + proc.ticks, 0) / CLK_TCK;
  const restarted = rss.restarted();
  if (restarted.length > 0)
    console.log(
      `  WARNING: processes were restarted during the first sync: ${restarted.join('; ')}\n` +
        `  georep.log warnings and errors:\n    ${s.logProblems().join('\n    ')}`,
    );
  console.log(
    `  ${label}: caught up after ${r.caughtUpS.toFixed(1)} s (cpu ${cpuS.toFixed(1)} s; ` +
      `confirmed by compareTrees in ${r.compareS.toFixed(1)} s)`,
  );
  const peakMb = Object.fromEntries(ROLES.map((role) => [role, mb(rss.peakKb[role])])) as Record<Role, number>;
  return { caughtUpS: r.caughtUpS, compareS: r.compareS, peakMb, cpuS };
}

/** rsync variants measured next to the daemon: -a, and -aH since georep keeps hard links. */
export const RSYNC_FLAGS = ['-a', '-aH'] as const;
export type RsyncFlag = (typeof RSYNC_FLAGS)[number];

/** rsync copies of the master made by the first-sync comparison; S3 reuses the first of each. */
export type Copies = Record<RsyncFlag, string>;

/**
 * First sync: `rsync -a` and `rsync -aH` of the tree into empty directories, then the daemon's
 * first sync (start on a fresh workdir → caught up, confirmed by compareTrees), then the rsyncs
 * again (order A B G B A), `sync` before each. Ratios are georep over the rsync medians.
 */
export async function scenarioFirstSync(ctx: Ctx, s: Session, label: string, copies: Partial<Copies>): Promise<void> {
  const { base, gnuTime } = ctx;
  const rs: Record<RsyncFlag, { wallS: number; cpuS: number | null }[]> = { '-a': [], '-aH': [] };
  const runRsync = async (flag: RsyncFlag, k: number): Promise<void> => {
    const dir = path.join(base, `rsync${flag}-${k}`);
    execFileSync('sync');
    const r = await timed('rsync', [flag, `${s.master}/`, `${dir}/`], { gnuTime });
    if (r.exitCode !== 0) fail(`rsync ${flag} exited ${r.exitCode}:\n${r.stderr}`);
    rs[flag].push({ wallS: r.wallS, cpuS: r.cpuS });
    if (k === 0) copies[flag] = dir;
    console.log(
      `  rsync ${flag.padEnd(3)} into an empty dir: ${r.wallS.toFixed(2)} s${r.cpuS === null ? '' : ` (cpu ${r.cpuS.toFixed(2)} s)`}`,
    );
  };
  console.log(`first sync: rsync -a, rsync -aH, georep, rsync -aH, rsync -a (sync before each)`);
  await runRsync('-a', 0);
  await runRsync('-aH', 0);
  // rsync's own result is not required to be equal (no -S, for one): what differs is printed.
  const rsDiffs = compareSafe(s.master, copies['-aH'] ?? '');
  const byKind = new Map<string, number>();
  for (const d of rsDiffs) byKind.set(d.what, (byKind.get(d.what) ?? 0) + 1);
  console.log(
    `  the rsync -aH copy differs from the master in ${rsDiffs.length} places` +
      (rsDiffs.length > 0
        ? ` (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}): rsync's result, not judged`
        : ''),
  );
  execFileSync('sync');
  ctx.results['firstSync'] = { rsync: rs };
  const scenario = `first sync ${label}`;
  const med = (flag: RsyncFlag): number => median(rs[flag].map((x) => x.wallS));
  const medCpu = (flag: RsyncFlag): number =>
    rs[flag].every((x) => x.cpuS !== null) ? median(rs[flag].map((x) => x.cpuS ?? 0)) : Number.NaN;
  const rsyncRows = (): void => {
    for (const flag of RSYNC_FLAGS)
      ctx.rows.push({
        scenario,
        metric: `rsync ${flag} into an empty dir, s (cpu ${f2(medCpu(flag))} s)`,
        n: String(rs[flag].length),
        p50: f2(med(flag)),
        p95: f2(stats(rs[flag].map((x) => x.wallS)).p95),
        target: '',
        verdict: '',
      });
  };
  let first: FirstSyncResult;
  try {
    first = await firstSync(s, label);
  } catch (e) {
    rsyncRows(); // measured all the same; the failure row follows them
    throw e;
  }
  ctx.firstSyncS = first.caughtUpS;
  await runRsync('-aH', 1);
  await runRsync('-a', 1);
  ctx.rows.push({
    scenario,
    metric: `georep start → caught up, s (cpu ${first.cpuS.toFixed(1)} s; peak RSS MB rec ${first.peakMb.recorder.toFixed(0)}, wrk ${first.peakMb.worker.toFixed(0)}, agent ${first.peakMb.agent.toFixed(0)})`,
    n: '1',
    p50: first.caughtUpS.toFixed(2),
    p95: '',
    target: '',
    verdict: '',
  });
  rsyncRows();
  for (const flag of RSYNC_FLAGS)
    ctx.rows.push({
      scenario,
      metric: `georep / rsync ${flag} (medians)`,
      n: '',
      p50: `${f2(first.caughtUpS / med(flag))}×`,
      p95: '',
      target: '',
      verdict: '',
    });
  ctx.results['firstSync'] = {
    georep: first,
    rsync: rs,
    ratio: Object.fromEntries(RSYNC_FLAGS.map((flag) => [flag, first.caughtUpS / med(flag)])),
  };
}
