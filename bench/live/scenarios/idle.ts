// Idle: the CPU the session's processes use while nothing changes, per role, from their /proc
// ticks over a window after a settle time; a process replaced during the window fails it.

import { nowMs, sleep } from '../clock.js';
import { fail } from '../failure.js';
import { IDLE_SETTLE_MS, TARGET_IDLE_PCT } from '../params.js';
import { CLK_TCK } from '../proc-sample.js';
import { f2, verdict } from '../report.js';
import type { Ctx } from '../scenario-run.js';
import { ROLES } from '../session-driver.js';
import type { Session } from '../session-driver.js';

export async function scenarioIdle(ctx: Ctx, s: Session): Promise<void> {
  const { p } = ctx;
  console.log(`idle: ${IDLE_SETTLE_MS / 1000} s to settle, then CPU over ${p.idleS} s with nothing changing`);
  await sleep(IDLE_SETTLE_MS);
  const before = s.tree();
  const t0 = nowMs();
  await sleep(p.idleS * 1000);
  const after = s.tree();
  const wallS = (nowMs() - t0) / 1000;
  const changedPids = (['monitor', 'recorder', 'worker', 'agent'] as const).filter((role) => {
    const a = before.filter((x) => x.role === role).map((x) => x.pid);
    const b = after.filter((x) => x.role === role).map((x) => x.pid);
    return a.join() !== b.join();
  });
  if (changedPids.length > 0)
    fail(`idle: processes changed during the window (${changedPids.join(', ')}): a crash?\n${s.logTail()}`);
  const byRole: Record<string, number> = {};
  for (const role of ROLES) {
    const sum = (list: typeof before): number => list.filter((x) => x.role === role).reduce((a, x) => a + x.ticks, 0);
    byRole[role] = ((sum(after) - sum(before)) / CLK_TCK / wallS) * 100;
  }
  const total = Object.values(byRole).reduce((a, x) => a + x, 0);
  const procs = after.map((x) => `${x.pid} ${x.role} (${x.state}) ${x.cmd.slice(0, 100)}`);
  console.log(
    `  % of one core: total ${total.toFixed(2)}; ` +
      ROLES.map((r) => `${r} ${(byRole[r] ?? 0).toFixed(2)}`).join(', ') +
      `\n  processes:\n    ${procs.join('\n    ')}`,
  );
  ctx.rows.push({
    scenario: 'idle CPU',
    metric: `% of one core over ${wallS.toFixed(0)} s (${ROLES.map((r) => `${r} ${f2(byRole[r] ?? 0)}`).join(', ')})`,
    n: '1',
    p50: f2(total),
    p95: '',
    target: `< ${TARGET_IDLE_PCT} %`,
    verdict: verdict(total < TARGET_IDLE_PCT),
  });
  if (!(total < TARGET_IDLE_PCT)) ctx.missed.push('idle CPU');
  ctx.results['idle'] = { wallS, clockTicks: CLK_TCK, totalPct: total, byRolePct: byRole, processes: procs };
}
