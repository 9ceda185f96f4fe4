// Benchmark of the live daemon (`georep start` / `georep stop`, compiled dist/; the entry point of
// `npm run bench:live`), on the bulk tree plus the hard cases (bench/live/tree.ts: hard links far apart, symlinks, awkward byte names,
// empty and sparse files):
//   first sync  `georep start` on a fresh workdir → caught up, next to `rsync -a` and `rsync -aH`
//               of the same tree into empty directories
//   s2    lag: one small rewrite until the slave has it; bursts of mixed changes (writes, renames,
//         deletes, chmods, symlink retargets, hard links added and removed, awkward directories
//         renamed) until every changed path matches
//   s3    catch-up after changes made while stopped: `georep start` → slave equal, against
//         `rsync -a --delete` and `rsync -aH --delete` of the same change set on copies that
//         were equal before
//   idle  CPU of the session's processes while nothing changes
//   rss   peak RSS and inotify watches on a tree of many tiny files, and the time to the first
//         caught-up state
// Every time reported is confirmed by a full compareTrees of the whole tree (an independent
// walk); a scenario whose slave does not equal the master within its limit is reported as
// FAILED with the first differences, the others still run, and the process exits 1.
// Medians and p95 are reported: these machines are noisy.
//
// This file only wires the run together: parameters (params.ts), the trees (tree.ts, and the rss
// tree in scenarios/rss.ts), the main tree's sequence (sequence.ts), the report (report.ts), and
// the cleanup of every session it started, also on SIGINT / SIGTERM (session-driver.ts). The
// layout of bench/live/ is described in bench/README.md.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../test/support/cli.js';
import { buildBulkTree } from '../../test/support/tree-builder.js';
import type { BulkSummary } from '../../test/support/tree-builder.js';
import { hasGnuTime } from '../measure.js';
import { nowMs } from './clock.js';
import { BenchFailure, fail } from './failure.js';
import { readParams } from './params.js';
import { CLK_TCK } from './proc-sample.js';
import { hostInfo, printSummary, writeResultFile } from './report.js';
import { runScenario } from './scenario-run.js';
import type { Ctx } from './scenario-run.js';
import { scenarioRss } from './scenarios/rss.js';
import { runMainTree } from './sequence.js';
import { GEOREP_MAIN, Session } from './session-driver.js';
import { addHardCases } from './tree.js';
import type { HardSummary } from './tree.js';

let emergencyBase: string | undefined;
let emergencyKeep = false;

function cleanupAll(): void {
  for (const s of Session.all) s.cleanupSync();
  if (emergencyBase !== undefined) {
    if (emergencyKeep) console.log(`kept ${emergencyBase} (BENCH_KEEP=1)`);
    else fs.rmSync(emergencyBase, { recursive: true, force: true });
    emergencyBase = undefined;
  }
}

async function main(): Promise<void> {
  const p = readParams();
  if (!fs.existsSync(GEOREP_MAIN)) fail(`${GEOREP_MAIN} is missing: run \`npm run build\` (or \`npm run bench:live\`)`);
  const host = hostInfo();
  console.log(
    `host: nproc ${String(host['nproc'])}, ${String(host['memMiB'])} MiB, ${String(host['cpuModel'])}, ` +
      `node ${process.version}, ${String(host['rsync'])}, CLK_TCK ${CLK_TCK}`,
  );
  console.log(`scenarios: ${p.scenarios.join(', ')}`);
  const gnuTime = await hasGnuTime();
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-bench-live-')));
  emergencyBase = base;
  emergencyKeep = p.keep;
  const ctx: Ctx = { p, base, gnuTime, rows: [], results: {}, missed: [], failures: [] };
  let tree: BulkSummary | undefined;
  let hard: HardSummary | undefined;
  try {
    const needMain = p.scenarios.some((x) => x !== 'rss');
    if (needMain) {
      const master = path.join(base, 'master');
      console.log(`generating ${p.files} files / ${(p.bytes / 1024 ** 2).toFixed(0)} MiB (seed ${p.seed}) …`);
      const g0 = nowMs();
      tree = buildBulkTree(master, { files: p.files, totalBytes: p.bytes, seed: p.seed });
      hard = addHardCases(master, p.seed);
      console.log(
        `  ${tree.files} files in ${tree.dirs} dirs, ${tree.bytes} bytes; plus ${hard.awkwardFiles} files and ` +
          `${hard.awkwardDirs} dirs with awkward names (in ${hard.places.join(', ')}), ${hard.hardLinkGroups} hard-link ` +
          `groups (${hard.hardLinkNames} names), ${hard.symlinks} symlinks, ${hard.emptyFiles} empty files, ` +
          `${hard.emptyDirs} empty dirs, ${hard.sparseFiles} sparse files (${((nowMs() - g0) / 1000).toFixed(1)} s)`,
      );
      await runMainTree(ctx, master);
    }
    if (p.scenarios.includes('rss')) await runScenario(ctx, `RSS ${p.rssFiles} files`, () => scenarioRss(ctx));

    printSummary(ctx.rows, ctx.failures);
    const json = {
      benchmark: 'live',
      date: new Date().toISOString(),
      params: p,
      host,
      gnuTime,
      tree,
      hardCases: hard,
      results: ctx.results,
      table: ctx.rows,
      missed: ctx.missed,
      failures: ctx.failures,
    };
    const outFile = writeResultFile(json);
    console.log(`\nwrote ${path.relative(repoRoot, outFile)}`);
    if (ctx.failures.length > 0)
      fail(`${ctx.failures.length} scenario(s) failed: ${ctx.failures.map((f) => f.scenario).join(', ')}`);
    if (p.strict && ctx.missed.length > 0) fail(`targets missed (BENCH_STRICT=1): ${ctx.missed.join(', ')}`);
  } finally {
    cleanupAll();
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping the daemons and removing the temp dirs …\n`);
    cleanupAll();
    process.exit(130);
  });

try {
  await main();
} catch (e) {
  const message = e instanceof BenchFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`\nBENCHMARK FAILED: ${message}\n`);
  process.exitCode = 1;
}
