// Benchmark: `georep sync --oneshot` (compiled, dist/) against `rsync -a` on one bulk tree —
// first sync into an empty directory, then two re-runs on the unchanged tree — alternating
// which tool goes first each round. Fails loudly if georep's copy is not an exact mirror.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../test/support/cli.js';
import { buildBulkTree } from '../test/support/tree-builder.js';
import { compareTrees, formatDifferences } from '../test/support/tree-compare.js';
import { envBytes, envInt } from './env.js';
import { hasGnuTime, timed } from './measure.js';
import type { Sample } from './measure.js';
import { formatTable, summarize } from './report.js';
import type { Scenario, ScenarioName, Tool } from './report.js';
import { georepCommand } from './georep-command.js';

interface BenchParams {
  readonly files: number;
  readonly bytes: number;
  readonly rounds: number;
  readonly seed: number;
  readonly keep: boolean;
}

function readParams(): BenchParams {
  return {
    files: envInt('BENCH_FILES', 50_000),
    bytes: envBytes('BENCH_BYTES', 1024 ** 3),
    rounds: envInt('BENCH_ROUNDS', 3),
    seed: envInt('BENCH_SEED', 42),
    keep: process.env['BENCH_KEEP'] === '1',
  };
}

const GEOREP_MAIN = path.join(repoRoot, 'dist', 'cli', 'main.js');

/** The argv of one tool copying `master` into `dest` (georep also gets its own workdir). */
function command(tool: Tool, master: string, dest: string, workdir: string): { file: string; args: string[] } {
  if (tool === 'rsync') return { file: 'rsync', args: ['-a', `${master}/`, `${dest}/`] };
  const [file, ...pre] = georepCommand(GEOREP_MAIN);
  return { file: file as string, args: [...pre, 'sync', '--oneshot', master, dest, '--workdir', workdir] };
}

/** Stops the benchmark: reported at top level, exit status 1 (temp dirs still removed). */
class BenchFailure extends Error {}

function fail(message: string): never {
  throw new BenchFailure(message);
}

function verifyGeorepCopy(master: string, copy: string, when: string): void {
  const t0 = Date.now();
  const diffs = compareTrees(master, copy);
  if (diffs.length > 0)
    fail(`georep's copy differs from the master ${when} (${diffs.length} differences):\n${formatDifferences(diffs)}`);
  console.log(`  verified: georep copy mirrors the master ${when} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

async function runOne(tool: Tool, master: string, dest: string, workdir: string, gnuTime: boolean): Promise<Sample> {
  // Flush the previous run's dirty pages so its writeback is not billed to this run. Caches
  // stay warm: dropping them needs privileges and is not reliable in containers.
  execFileSync('sync');
  const cmd = command(tool, master, dest, workdir);
  const s = await timed(cmd.file, cmd.args, { cwd: repoRoot, gnuTime });
  if (s.exitCode !== 0) {
    const tail = s.stderr.split('\n').slice(-20).join('\n');
    fail(`${cmd.file} ${cmd.args.join(' ')} exited with ${s.exitCode ?? 'a signal'}:\n${tail}`);
  }
  const extra = s.cpuS === null ? '' : `, cpu ${s.cpuS.toFixed(2)} s, rss ${s.maxRssMiB?.toFixed(0) ?? 'n/a'} MiB`;
  console.log(`  ${tool.padEnd(6)} ${s.wallS.toFixed(2)} s${extra}`);
  return s;
}

async function main(): Promise<void> {
  const p = readParams();
  const gnuTime = await hasGnuTime();
  if (!gnuTime) console.log(`note: GNU time not found at /usr/bin/time; CPU and RSS are reported as n/a`);
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-bench-')));
  const master = path.join(base, 'master');
  try {
    console.log(
      `generating ${p.files} files / ${(p.bytes / 1024 ** 2).toFixed(0)} MiB (seed ${p.seed}) in ${master} …`,
    );
    const t0 = Date.now();
    const tree = buildBulkTree(master, { files: p.files, totalBytes: p.bytes, seed: p.seed });
    console.log(
      `  ${tree.files} files in ${tree.dirs} dirs, ${tree.bytes} bytes, largest ${tree.largest}, ` +
        `${tree.small} under 4 KiB (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    if (!fs.existsSync(GEOREP_MAIN)) fail(`${GEOREP_MAIN} is missing: run \`npm run build\` (or \`npm run bench\`)`);

    const scenarios: Record<ScenarioName, Scenario> = {
      'first sync': { name: 'first sync', target: { ratio: 1, inclusive: true }, samples: { rsync: [], georep: [] } },
      'unchanged re-run': {
        name: 'unchanged re-run',
        target: { ratio: 1, inclusive: false },
        samples: { rsync: [], georep: [] },
      },
      // The run after a clean re-run: georep's directory digests let it skip the index rows.
      'second unchanged re-run': {
        name: 'second unchanged re-run',
        target: { ratio: 1, inclusive: false },
        samples: { rsync: [], georep: [] },
      },
    };
    // On ext4 without a journal (this machine's), the kernel looking for a free inode steps over
    // each one freed in the last minutes (`recently_deleted` in a perf profile). A run right after
    // `rm -rf` of the last round's copies paid seconds of system time for it, one tool more than
    // the other (rsync alone ranged 4.4-10.6 s). So copies are deleted at the end, if they fit.
    const keepCopies = roomForCopies(base, tree.bytes, p.rounds);
    if (!keepCopies) console.log('note: not enough free disk to keep every copy: each round deletes its copies');
    const leftovers: string[] = [];
    for (let round = 0; round < p.rounds; round++) {
      const order: Tool[] = round % 2 === 0 ? ['rsync', 'georep'] : ['georep', 'rsync'];
      const dest: Record<Tool, string> = {
        rsync: path.join(base, `rsync-${round}`),
        georep: path.join(base, `georep-${round}`),
      };
      const workdir = fs.mkdtempSync(path.join(base, `work-${round}-`));
      for (const name of ['first sync', 'unchanged re-run', 'second unchanged re-run'] as const) {
        console.log(`round ${round + 1}/${p.rounds}: ${name} (${order.join(' then ')})`);
        for (const tool of order)
          scenarios[name].samples[tool].push(await runOne(tool, master, dest[tool], workdir, gnuTime));
        if (round === 0) verifyGeorepCopy(master, dest.georep, `after the ${name}`);
      }
      if (keepCopies) leftovers.push(dest.rsync, dest.georep, workdir);
      else for (const d of [dest.rsync, dest.georep, workdir]) fs.rmSync(d, { recursive: true, force: true });
    }
    for (const d of leftovers) fs.rmSync(d, { recursive: true, force: true });

    const summaries = Object.values(scenarios).map(summarize);
    console.log(`\n${formatTable(summaries, p.rounds)}`);
    const outDir = path.join(repoRoot, 'bench', 'out');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, `oneshot-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const strip = (s: Sample): Omit<Sample, 'stdout' | 'stderr'> & { summary: string } => ({
      wallS: s.wallS,
      cpuS: s.cpuS,
      maxRssMiB: s.maxRssMiB,
      exitCode: s.exitCode,
      summary: s.stdout.split('\n').find((l) => l.trim() !== '') ?? '',
    });
    const json = {
      benchmark: 'oneshot',
      date: new Date().toISOString(),
      params: p,
      tree,
      host: {
        cpus: os.cpus().length,
        memMiB: Math.round(os.totalmem() / 1024 ** 2),
        node: process.version,
        rsync: rsyncVersion(),
      },
      warmCache: true,
      copiesKeptUntilEnd: keepCopies,
      gnuTime,
      summaries,
      samples: Object.values(scenarios).map((s) => ({
        name: s.name,
        rsync: s.samples.rsync.map(strip),
        georep: s.samples.georep.map(strip),
      })),
    };
    fs.writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(repoRoot, outFile)}`);
    if (process.env['BENCH_STRICT'] === '1' && summaries.some((s) => !s.targetMet))
      fail('a target was missed (BENCH_STRICT=1)');
  } finally {
    if (p.keep) console.log(`kept ${base} (BENCH_KEEP=1)`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
}

/** Whether the disk holding `base` has room for two copies of the tree per round, plus a margin. */
function roomForCopies(base: string, treeBytes: number, rounds: number): boolean {
  const st = fs.statfsSync(base);
  const margin = 1.25; // directories, workdirs and the file system's own reserve
  return st.bavail * st.bsize > treeBytes * 2 * rounds * margin;
}

function rsyncVersion(): string {
  return execFileSync('rsync', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? 'unknown';
}

try {
  await main();
} catch (e) {
  const message = e instanceof BenchFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`\nBENCHMARK FAILED: ${message}\n`);
  process.exitCode = 1;
}
