// Benchmark: the peak resident memory of a one-shot first sync, summed over every process of
// the run (georep's master, its slave agent, the cp / rsync / tar children), sampled from
// /proc (bench/proc-rss.ts), against `rsync -a`. GNU time's %M in bench/oneshot.ts is the
// largest single process only. Each variant copies into an empty directory with a fresh
// workdir; georep's copies are verified against the master in the first round.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../test/support/cli.js';
import { buildBulkTree } from '../test/support/tree-builder.js';
import { compareTrees, formatDifferences } from '../test/support/tree-compare.js';
import { envBytes, envInt } from './env.js';
import { byName, runSampled } from './proc-rss.js';
import type { TreeRssSample } from './proc-rss.js';
import { georepCommand } from './georep-command.js';

const VARIANTS = {
  georep: (m: string, d: string, w: string) => georep(m, d, w, []),
  'georep --seed-copy false': (m: string, d: string, w: string) => georep(m, d, w, ['--seed-copy', 'false']),
  'rsync -a': (m: string, d: string) => ({ file: 'rsync', args: ['-a', `${m}/`, `${d}/`] }),
} as const;
type Variant = keyof typeof VARIANTS;

/** BENCH_GEOREP: another build's dist/cli/main.js (a baseline), else this tree's. */
const GEOREP_MAIN = process.env['BENCH_GEOREP'] ?? path.join(repoRoot, 'dist', 'cli', 'main.js');

function georep(master: string, dest: string, workdir: string, extra: string[]): { file: string; args: string[] } {
  const [file, ...pre] = georepCommand(GEOREP_MAIN);
  return { file: file as string, args: [...pre, 'sync', '--oneshot', master, dest, '--workdir', workdir, ...extra] };
}

const mib = (kib: number): string => (kib / 1024).toFixed(0);

async function main(): Promise<void> {
  const files = envInt('BENCH_FILES', 50_000);
  const bytes = envBytes('BENCH_BYTES', Math.round((files * 200 * 1024 ** 2) / 200_000));
  const dirs = envInt('BENCH_DIRS', Math.max(1, Math.round(files / 40)));
  const rounds = envInt('BENCH_ROUNDS', 1);
  const seed = envInt('BENCH_SEED', 42);
  const which = (process.env['BENCH_VARIANTS'] ?? Object.keys(VARIANTS).join(','))
    .split(',')
    .map((v) => v.trim()) as Variant[];
  for (const v of which) if (!(v in VARIANTS)) throw new Error(`unknown variant ${JSON.stringify(v)}`);
  if (!fs.existsSync(GEOREP_MAIN)) throw new Error(`${GEOREP_MAIN} is missing: run \`npm run build\``);

  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-rss-')));
  const given = process.env['BENCH_TREE'];
  const master = given ?? path.join(base, 'master');
  try {
    if (given === undefined) {
      console.log(`generating ${files} files in ${dirs} dirs, ${(bytes / 1024 ** 2).toFixed(0)} MiB …`);
      const t = buildBulkTree(master, { files, dirs, totalBytes: bytes, seed });
      console.log(`  ${t.files} files, ${t.dirs} dirs, ${t.bytes} bytes`);
    } else console.log(`using the tree in ${master} (BENCH_TREE)`);
    const results: Record<string, TreeRssSample[]> = {};
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? which : [...which].reverse();
      for (const v of order) {
        const dest = path.join(base, `copy-${round}-${v.replace(/\W+/g, '_')}`);
        const work = path.join(base, `work-${round}-${v.replace(/\W+/g, '_')}`);
        fs.mkdirSync(work);
        const cmd = VARIANTS[v](master, dest, work);
        const s = await runSampled(cmd.file, cmd.args, { cwd: repoRoot });
        if (s.exitCode !== 0) throw new Error(`${v} exited with ${s.exitCode}:\n${s.stderr.slice(-3000)}`);
        (results[v] ??= []).push(s);
        const procs = byName(s.processes)
          .map((p) => `${p.name}${p.count > 1 ? ` ×${p.count}` : ''} ${p.maxHwmMiB.toFixed(0)}`)
          .join(', ');
        const peak = s.atPeak
          .filter((p) => p.rssKiB > 1024)
          .map((p) => `${p.name} ${mib(p.rssKiB)}`)
          .join(' + ');
        console.log(
          `${v.padEnd(26)} ${s.wallS.toFixed(1)} s  peak sum ${mib(s.peakSumKiB)} MiB at ${s.peakAtS.toFixed(1)} s ` +
            `[Pss sum ${mib(s.peakPssSumKiB)}] ` +
            `(${peak}); per-process peak (VmHWM, MiB): ${procs}`,
        );
        if (round === 0 && v !== 'rsync -a' && process.env['BENCH_VERIFY'] !== '0') {
          const diffs = compareTrees(master, dest);
          if (diffs.length > 0) throw new Error(`${v}: copy differs:\n${formatDifferences(diffs)}`);
          console.log(`  verified: the copy mirrors the master`);
        }
        fs.rmSync(dest, { recursive: true, force: true });
        fs.rmSync(work, { recursive: true, force: true });
      }
    }
    console.log('\nmedians:');
    for (const [v, ss] of Object.entries(results)) {
      const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
      console.log(
        `  ${v.padEnd(26)} peak sum ${mib(med(ss.map((s) => s.peakSumKiB)))} MiB, Pss sum ${mib(med(ss.map((s) => s.peakPssSumKiB)))} MiB, wall ${med(ss.map((s) => s.wallS)).toFixed(1)} s ` +
          `(${ss.map((s) => mib(s.peakSumKiB)).join(', ')})`,
      );
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
