// The live bench's report: percentiles of the samples (median, nearest-rank p95), the table rows
// with their targets and verdicts, the host description, the printed table and failure summary,
// and the JSON file in bench/out/. Scenarios only push rows and results; how they are shown and
// stored is decided here.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../test/support/cli.js';
import { median } from '../report.js';
import { CLK_TCK } from './proc-sample.js';
import type { Failure } from './scenario-run.js';

export interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentile (p95 of fewer than 20 samples is the maximum). */
function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1] ?? Number.NaN;
}

export function stats(xs: readonly number[]): Stats {
  return {
    n: xs.length,
    p50: median(xs),
    p95: percentile(xs, 95),
    min: xs.length === 0 ? Number.NaN : Math.min(...xs),
    max: xs.length === 0 ? Number.NaN : Math.max(...xs),
  };
}

export interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly n: string;
  readonly p50: string;
  readonly p95: string;
  readonly target: string;
  readonly verdict: string;
}

export const f2 = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));

export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? '' : ok ? 'met' : 'MISSED';
}

function formatRows(rows: readonly Row[]): string {
  const head: Row = {
    scenario: 'scenario',
    metric: 'metric',
    n: 'n',
    p50: 'p50',
    p95: 'p95',
    target: 'target',
    verdict: '',
  };
  const keys = ['scenario', 'metric', 'n', 'p50', 'p95', 'target', 'verdict'] as const;
  const all = [head, ...rows];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: Row): string =>
    keys
      .map((k, i) =>
        k === 'n' || k === 'p50' || k === 'p95' ? r[k].padStart(widths[i] ?? 0) : r[k].padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function hostInfo(): Record<string, unknown> {
  const sh = (file: string, args: string[]): string => {
    try {
      return execFileSync(file, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    nproc: Number(sh('nproc', [])),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memMiB: Math.round(os.totalmem() / 1024 ** 2),
    kernel: os.release(),
    node: process.version,
    rsync: sh('rsync', ['--version']).split('\n')[0] ?? 'unknown',
    clockTicks: CLK_TCK,
    maxUserWatches: Number(sh('cat', ['/proc/sys/fs/inotify/max_user_watches'])),
    tmpdir: os.tmpdir(),
  };
}

/** The table, then one paragraph per FAILED scenario (its recovery and first differences). */
export function printSummary(rows: readonly Row[], failures: readonly Failure[]): void {
  console.log(`\n${formatRows(rows)}`);
  console.log(`(p95 is nearest-rank: with fewer than 20 samples it is the maximum)`);
  if (failures.length > 0) {
    console.log(`\n${failures.length} scenario(s) FAILED (no time reported for them):`);
    for (const f of failures) {
      console.log(`- ${f.scenario}: ${f.message.split('\n')[0] ?? ''}`);
      if (f.recovery !== undefined) console.log(`  recovery: ${f.recovery}`);
      if (f.differences > 0) console.log(`  ${f.differences} differences, the first:\n${f.firstDifferences}`);
    }
  }
}

/** Writes `json` to bench/out/live-<timestamp>.json; returns the file's path. */
export function writeResultFile(json: unknown): string {
  const outDir = path.join(repoRoot, 'bench', 'out');
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `live-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
  return outFile;
}
