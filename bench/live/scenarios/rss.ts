// RSS: a separate tree of many tiny files (BENCH_RSS_FILES) and its own session, for the peak
// RSS per role, the inotify watches the recorder holds, and the time to the first caught-up
// state.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildBulkTree } from '../../../test/support/tree-builder.js';
import { nowMs } from '../clock.js';
import { TARGET_RSS_MB } from '../params.js';
import { inotifyWatches, statusKb } from '../proc-sample.js';
import { verdict } from '../report.js';
import type { Ctx } from '../scenario-run.js';
import { ROLES, Session } from '../session-driver.js';
import { firstSync, mb } from './first-sync.js';

export async function scenarioRss(ctx: Ctx): Promise<void> {
  const { p, base } = ctx;
  const dir = path.join(base, 'rss');
  const master = path.join(dir, 'master');
  console.log(`rss: generating ${p.rssFiles} files / ${(p.rssBytes / 1024 ** 2).toFixed(0)} MiB in ${master} …`);
  const g0 = nowMs();
  const tree = buildBulkTree(master, { files: p.rssFiles, totalBytes: p.rssBytes, seed: p.seed + 4 });
  console.log(`  ${tree.files} files in ${tree.dirs} dirs (${((nowMs() - g0) / 1000).toFixed(1)} s)`);
  const s = new Session(master, path.join(dir, 'slave'), path.join(dir, 'work'));
  try {
    const first = await firstSync(s, `${p.rssFiles} files`);
    const pids = s.pids();
    const watches = pids.recorder === undefined ? Number.NaN : inotifyWatches(pids.recorder);
    const workerWatches = pids.worker === undefined ? Number.NaN : inotifyWatches(pids.worker);
    const nowRss = Object.fromEntries(
      s.tree().map((proc) => [`${proc.role} ${proc.pid}`, mb(statusKb(proc.pid, 'VmRSS') ?? 0)]),
    );
    console.log(
      `  peak RSS (VmHWM, MB): ${ROLES.map((r) => `${r} ${first.peakMb[r].toFixed(0)}`).join(', ')}; ` +
        `inotify watches: recorder ${watches}, worker ${workerWatches}`,
    );
    const worst = Math.max(first.peakMb.monitor, first.peakMb.recorder, first.peakMb.worker, first.peakMb.agent);
    for (const role of ['recorder', 'worker', 'monitor', 'agent'] as const)
      ctx.rows.push({
        scenario: `RSS ${p.rssFiles} files`,
        metric: `peak RSS MB, ${role}`,
        n: '1',
        p50: first.peakMb[role].toFixed(0),
        p95: '',
        target: `≤ ${TARGET_RSS_MB} MB`,
        verdict: verdict(first.peakMb[role] <= TARGET_RSS_MB),
      });
    ctx.rows.push(
      {
        scenario: `RSS ${p.rssFiles} files`,
        metric: 'inotify watches held by the recorder',
        n: '1',
        p50: String(watches),
        p95: '',
        target: `(${tree.dirs + 1} dirs)`,
        verdict: '',
      },
      {
        scenario: `RSS ${p.rssFiles} files`,
        metric: `time to first caught-up state, s (cpu ${first.cpuS.toFixed(1)} s)`,
        n: '1',
        p50: first.caughtUpS.toFixed(1),
        p95: '',
        target: '',
        verdict: '',
      },
    );
    if (!(worst <= TARGET_RSS_MB)) ctx.missed.push('RSS');
    ctx.results['rss'] = { tree, ...first, inotifyWatches: { recorder: watches, worker: workerWatches }, nowRss };
    await s.stop();
  } finally {
    s.cleanupSync();
    if (!p.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
