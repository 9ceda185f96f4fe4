// S3, catch-up after changes made while stopped (CATCHUP_MIX, 1 % of the files): `georep start`
// until the slave equals the master, against `rsync -a --delete` and `rsync -aH --delete` of the
// same change set on copies that were equal before, in a rotating order.

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { SeededBytes, SeededRandom } from '../../../test/support/tree-bytes.js';
import { median } from '../../report.js';
import { timed } from '../../measure.js';
import { nowMs } from '../clock.js';
import { expectState, waitEqual } from '../convergence.js';
import { fail } from '../failure.js';
import { BURST_POLL_MS, S3_LIMIT_MS, TARGET_CATCHUP_RATIO } from '../params.js';
import { CLK_TCK } from '../proc-sample.js';
import { f2, stats, verdict } from '../report.js';
import type { Ctx } from '../scenario-run.js';
import type { Session } from '../session-driver.js';
import { applyChanges, CATCHUP_MIX } from '../workload.js';
import type { TreeModel } from '../workload.js';
import { RSYNC_FLAGS } from './first-sync.js';
import type { Copies, RsyncFlag } from './first-sync.js';

export async function scenarioS3(ctx: Ctx, s: Session, model: TreeModel, copies: Partial<Copies>): Promise<void> {
  const { p, base, gnuTime } = ctx;
  const rnd = new SeededRandom(p.seed + 3);
  const pool = new SeededBytes(`${p.seed}-s3`).next(1024 * 1024);
  const count = Math.max(1, Math.round(model.files.length / 100));
  const limitMs = Math.max(S3_LIMIT_MS, 2 * (ctx.firstSyncS ?? 0) * 1000);
  console.log(`S3: catch-up after ${count} changes (1 % of the files) made while stopped, ${p.rounds} rounds`);
  // The rsync copies: those of the first-sync comparison, brought up to date (untimed).
  const copy: Copies = { '-a': '', '-aH': '' };
  for (const flag of RSYNC_FLAGS) {
    copy[flag] = copies[flag] ?? path.join(base, `s3-rsync${flag}`);
    console.log(`  bringing the rsync ${flag} copy up to date (rsync ${flag} --delete, untimed) …`);
    execFileSync('rsync', [flag, '--delete', `${s.master}/`, `${copy[flag]}/`]);
  }
  type Tool = 'georep' | RsyncFlag;
  const TOOLS: readonly Tool[] = ['georep', '-a', '-aH'];
  const geo: number[] = [];
  const geoCpu: number[] = [];
  const rs: Record<RsyncFlag, number[]> = { '-a': [], '-aH': [] };
  const rsCpu: Record<RsyncFlag, (number | null)[]> = { '-a': [], '-aH': [] };
  const details: unknown[] = [];
  ctx.results['s3'] = { changes: count, rounds: details };
  for (let round = 0; round < p.rounds; round++) {
    if (s.running()) await s.stop();
    const { changed, kinds } = applyChanges(s.master, model, CATCHUP_MIX, count, `s${round}`, rnd, pool);
    const expected = expectState(s.master, changed);
    // The order rotates: each tool goes first, second and third in turn.
    const order = TOOLS.map((_, k) => TOOLS[(k + round) % TOOLS.length] ?? 'georep');
    const names = order.map((t) => (t === 'georep' ? 'georep' : `rsync ${t}`));
    console.log(`  round ${round + 1}/${p.rounds} (${names.join(', ')}), ${expected.length} paths to check`);
    const detail: Record<string, unknown> = { round: round + 1, order: names, kinds, paths: expected.length };
    details.push(detail);
    for (const tool of order) {
      execFileSync('sync');
      if (tool !== 'georep') {
        const r = await timed('rsync', [tool, '--delete', `${s.master}/`, `${copy[tool]}/`], { gnuTime });
        if (r.exitCode !== 0) fail(`rsync ${tool} --delete exited ${r.exitCode}:\n${r.stderr}`);
        rs[tool].push(r.wallS);
        rsCpu[tool].push(r.cpuS);
        detail[`rsync ${tool}`] = { wallS: r.wallS, cpuS: r.cpuS };
        console.log(
          `    rsync ${tool.padEnd(3)} --delete ${r.wallS.toFixed(2)} s${r.cpuS === null ? '' : `, cpu ${r.cpuS.toFixed(2)} s`}`,
        );
      } else {
        const t0 = nowMs();
        await s.start();
        const startedS = (nowMs() - t0) / 1000;
        const r = await waitEqual(s, expected, t0, BURST_POLL_MS, limitMs, `S3 round ${round + 1}`);
        // The session's processes all started with this start: their CPU is the catch-up's
        // (the wait for the full compare adds a little idle time).
        const cpuS = s.tree().reduce((a, proc) => a + proc.ticks, 0) / CLK_TCK;
        await s.stop();
        geo.push(r.lagMs / 1000);
        geoCpu.push(cpuS);
        detail['georep'] = {
          wallS: r.lagMs / 1000,
          startCommandS: startedS,
          cpuS,
          compareS: r.compareS,
          compares: r.compares,
        };
        console.log(
          `    georep          ${(r.lagMs / 1000).toFixed(2)} s (start command ${startedS.toFixed(2)} s), cpu ≈ ${cpuS.toFixed(2)} s; ` +
            `confirmed by compareTrees in ${r.compareS.toFixed(1)} s${r.compares > 1 ? ` after ${r.compares} compares` : ''}`,
        );
      }
    }
  }
  const g = stats(geo);
  ctx.rows.push({
    scenario: 'S3 catch-up (1 %)',
    metric: `georep start → slave equal, s (cpu ≈ ${f2(median(geoCpu))} s)`,
    n: String(g.n),
    p50: f2(g.p50),
    p95: f2(g.p95),
    target: '',
    verdict: '',
  });
  const ratios: Record<string, number> = {};
  for (const flag of RSYNC_FLAGS) {
    const r = stats(rs[flag]);
    const cpu = rsCpu[flag].filter((x): x is number => x !== null);
    const cpuMed = cpu.length === rsCpu[flag].length ? median(cpu) : Number.NaN;
    ctx.rows.push({
      scenario: 'S3 catch-up (1 %)',
      metric: `rsync ${flag} --delete, s (cpu ${f2(cpuMed)} s)`,
      n: String(r.n),
      p50: f2(r.p50),
      p95: f2(r.p95),
      target: '',
      verdict: '',
    });
    ratios[flag] = g.p50 / r.p50;
  }
  for (const flag of RSYNC_FLAGS) {
    const ratio = ratios[flag] ?? Number.NaN;
    ctx.rows.push({
      scenario: 'S3 catch-up (1 %)',
      metric: `georep / rsync ${flag} --delete (medians)`,
      n: '',
      p50: `${f2(ratio)}×`,
      p95: '',
      target: `≤ ${TARGET_CATCHUP_RATIO}×`,
      verdict: verdict(ratio <= TARGET_CATCHUP_RATIO),
    });
  }
  if (!((ratios['-a'] ?? Number.NaN) <= TARGET_CATCHUP_RATIO)) ctx.missed.push('S3 catch-up ratio');
  ctx.results['s3'] = {
    changes: count,
    georep: { ...g, samplesS: geo, cpuS: geoCpu },
    rsync: Object.fromEntries(
      RSYNC_FLAGS.map((flag) => [flag, { ...stats(rs[flag]), samplesS: rs[flag], cpuS: rsCpu[flag] }]),
    ),
    ratio: ratios,
    rounds: details,
  };
}
