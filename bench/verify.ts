// Benchmark: `georep verify` (compiled, dist/; metadata only, no --checksum) against
// `rsync -a --delete -n` (a dry run compares the same things: names, types, sizes, mtimes,
// modes, owners, links) on one bulk tree and its georep copy, alternating which goes first each
// round. Reports medians, the georep/rsync wall ratio (target ≤ 1.5×) and georep's peak RSS
// (this process alone, and the largest process of the run: it or its slave agent).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../test/support/cli.js';
import { buildBulkTree } from '../test/support/tree-builder.js';
import { envBytes, envInt } from './env.js';
import { hasGnuTime, timed } from './measure.js';
import type { Sample } from './measure.js';
import { median } from './report.js';
import { georepCommand } from './georep-command.js';

const GEOREP_MAIN = path.join(repoRoot, 'dist', 'cli', 'main.js');
const TARGET_RATIO = 1.5;

type Tool = 'rsync -n' | 'georep verify';

interface Run extends Sample {
  /** georep verify only: peak RSS of the verify process itself (its 'verify done' log line). */
  readonly ownRssMiB: number | null;
}

class BenchFailure extends Error {}

function command(tool: Tool, master: string, copy: string, work: string): { file: string; args: string[] } {
  if (tool === 'rsync -n')
    return { file: 'rsync', args: ['-a', '--delete', '-n', '--exclude=/.georep', `${master}/`, `${copy}/`] };
  const [file, ...pre] = georepCommand(GEOREP_MAIN);
  return { file: file as string, args: [...pre, 'verify', '--json', master, copy, '--workdir', work] };
}

async function runOne(tool: Tool, master: string, copy: string, work: string, gnuTime: boolean): Promise<Run> {
  execFileSync('sync');
  const cmd = command(tool, master, copy, work);
  const s = await timed(cmd.file, cmd.args, { cwd: repoRoot, gnuTime });
  if (s.exitCode !== 0)
    throw new BenchFailure(`${cmd.file} ${cmd.args.join(' ')} exited with ${s.exitCode ?? 'a signal'}:\n${s.stderr}`);
  let ownRssMiB: number | null = null;
  if (tool === 'georep verify') {
    const last = s.stdout.trimEnd().split('\n').at(-1) ?? '';
    const done = JSON.parse(last) as { done?: boolean; divergent?: number; totals?: { examined: number } };
    if (done.done !== true || done.divergent !== 0)
      throw new BenchFailure(`verify did not find the copy equal:\n${last}`);
    const m = /"maxRssMiB":(\d+)/.exec(s.stderr);
    ownRssMiB = m === null ? null : Number(m[1]);
  } else if (s.stdout.trim() !== '') throw new BenchFailure(`rsync -n found differences:\n${s.stdout.slice(0, 2000)}`);
  const extra = s.cpuS === null ? '' : `, cpu ${s.cpuS.toFixed(2)} s, peak rss ${s.maxRssMiB?.toFixed(0)} MiB`;
  const own = ownRssMiB === null ? '' : ` (verify process ${ownRssMiB} MiB)`;
  console.log(`  ${tool.padEnd(13)} ${s.wallS.toFixed(2)} s${extra}${own}`);
  return { ...s, stdout: '', ownRssMiB };
}

async function main(): Promise<void> {
  const p = {
    files: envInt('BENCH_FILES', 50_000),
    bytes: envBytes('BENCH_BYTES', 256 * 1024 ** 2),
    rounds: envInt('BENCH_ROUNDS', 5),
    seed: envInt('BENCH_SEED', 42),
    keep: process.env['BENCH_KEEP'] === '1',
  };
  if (!fs.existsSync(GEOREP_MAIN)) throw new BenchFailure(`${GEOREP_MAIN} is missing: run npm run build`);
  const gnuTime = await hasGnuTime();
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-bench-verify-')));
  const master = path.join(base, 'master');
  const copy = path.join(base, 'copy');
  const work = path.join(base, 'work');
  try {
    console.log(`generating ${p.files} files / ${(p.bytes / 1024 ** 2).toFixed(0)} MiB (seed ${p.seed}) …`);
    const tree = buildBulkTree(master, { files: p.files, totalBytes: p.bytes, seed: p.seed });
    console.log(`  ${tree.files} files in ${tree.dirs} dirs; copying it with georep sync --oneshot …`);
    const [file, ...pre] = georepCommand(GEOREP_MAIN);
    const copied = await timed(file as string, [...pre, 'sync', '--oneshot', master, copy, '--workdir', work], {
      gnuTime: false,
    });
    if (copied.exitCode !== 0) throw new BenchFailure(`georep sync --oneshot failed:\n${copied.stderr.slice(-4000)}`);
    const samples: Record<Tool, Run[]> = { 'rsync -n': [], 'georep verify': [] };
    for (let round = 0; round < p.rounds; round++) {
      const order: Tool[] = round % 2 === 0 ? ['rsync -n', 'georep verify'] : ['georep verify', 'rsync -n'];
      console.log(`round ${round + 1}/${p.rounds} (${order.join(' then ')})`);
      for (const tool of order) samples[tool].push(await runOne(tool, master, copy, work, gnuTime));
    }
    const med = (tool: Tool, f: (r: Run) => number | null): number | null => {
      const xs = samples[tool].map(f);
      return xs.every((x): x is number => x !== null) ? median(xs) : null;
    };
    const rsyncWall = med('rsync -n', (r) => r.wallS) ?? NaN;
    const georepWall = med('georep verify', (r) => r.wallS) ?? NaN;
    const ratio = georepWall / rsyncWall;
    const fmt = (x: number | null, d: number): string => (x === null ? 'n/a' : x.toFixed(d));
    const summary = {
      rsync: { wallS: rsyncWall, cpuS: med('rsync -n', (r) => r.cpuS), maxRssMiB: med('rsync -n', (r) => r.maxRssMiB) },
      georep: {
        wallS: georepWall,
        cpuS: med('georep verify', (r) => r.cpuS),
        maxRssMiB: med('georep verify', (r) => r.maxRssMiB),
        verifyProcessRssMiB: med('georep verify', (r) => r.ownRssMiB),
      },
      wallRatio: ratio,
      targetRatio: TARGET_RATIO,
      targetMet: ratio <= TARGET_RATIO,
    };
    console.log(
      `\nmedians of ${p.rounds} rounds, ${tree.files} files in ${tree.dirs} dirs, warm cache, load ${os.loadavg()[0]?.toFixed(1)}:`,
    );
    console.log(
      `  rsync -a --delete -n  wall ${fmt(rsyncWall, 2)} s  cpu ${fmt(summary.rsync.cpuS, 2)} s  peak rss ${fmt(summary.rsync.maxRssMiB, 0)} MiB`,
    );
    console.log(
      `  georep verify         wall ${fmt(georepWall, 2)} s  cpu ${fmt(summary.georep.cpuS, 2)} s  peak rss ${fmt(summary.georep.maxRssMiB, 0)} MiB (verify process ${fmt(summary.georep.verifyProcessRssMiB, 0)} MiB)`,
    );
    console.log(
      `  georep/rsync wall ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${summary.targetMet ? 'met' : 'MISSED'})`,
    );
    const outDir = path.join(repoRoot, 'bench', 'out');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, `verify-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const strip = (r: Run) => ({ wallS: r.wallS, cpuS: r.cpuS, maxRssMiB: r.maxRssMiB, ownRssMiB: r.ownRssMiB });
    const json = {
      benchmark: 'verify',
      date: new Date().toISOString(),
      params: p,
      tree,
      host: { cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version },
      gnuTime,
      summary,
      samples: { rsync: samples['rsync -n'].map(strip), georep: samples['georep verify'].map(strip) },
    };
    fs.writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`wrote ${path.relative(repoRoot, outFile)}`);
    if (process.env['BENCH_STRICT'] === '1' && !summary.targetMet) throw new BenchFailure('the target was missed');
  } finally {
    if (p.keep) console.log(`kept ${base} (BENCH_KEEP=1)`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(
    `\nBENCHMARK FAILED: ${e instanceof BenchFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exitCode = 1;
}
