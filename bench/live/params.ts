// What a live-bench run is asked to do and what it is held to: the BENCH_* environment knobs
// (read once, into Params), the targets from the issue, and the time limits and poll intervals
// that decide when a scenario counts as converged or FAILED. One place, so the README's table of
// variables and the report's targets can be checked against a single file.

import { envBytes, envInt } from '../env.js';

export const SCENARIOS = ['s2', 's3', 'idle', 'rss'] as const;
export type ScenarioKey = (typeof SCENARIOS)[number];

export interface Params {
  readonly files: number;
  readonly bytes: number;
  readonly rssFiles: number;
  readonly rssBytes: number;
  readonly rounds: number;
  readonly seed: number;
  readonly lagSamples: number;
  readonly bursts: number;
  readonly burstOps: number;
  readonly idleS: number;
  readonly scenarios: readonly ScenarioKey[];
  readonly keep: boolean;
  readonly strict: boolean;
}

function envScenarios(): ScenarioKey[] {
  const raw = process.env['BENCH_SCENARIOS'];
  if (raw === undefined || raw.trim() === '') return [...SCENARIOS];
  const picked = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const s of picked)
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`BENCH_SCENARIOS: unknown scenario ${JSON.stringify(s)} (known: ${SCENARIOS.join(', ')})`);
  return SCENARIOS.filter((s) => picked.includes(s));
}

export function readParams(): Params {
  const files = envInt('BENCH_FILES', 50_000);
  // Sizes default in proportion to BENCH_FILES (256 MiB at 50,000 files; the rss tree 4 × as
  // many tiny files, 200,000 and 100 MiB), so a small run stays small.
  const rssFiles = envInt('BENCH_RSS_FILES', 4 * files);
  return {
    files,
    bytes: envBytes('BENCH_BYTES', Math.round((files * 256 * 1024 ** 2) / 50_000)),
    rssFiles,
    rssBytes: envBytes('BENCH_RSS_BYTES', Math.round((rssFiles * 100 * 1024 ** 2) / 200_000)),
    rounds: envInt('BENCH_ROUNDS', 3),
    seed: envInt('BENCH_SEED', 42),
    lagSamples: envInt('BENCH_LAG_SAMPLES', 20),
    bursts: envInt('BENCH_BURSTS', 5),
    burstOps: envInt('BENCH_BURST_OPS', 500),
    idleS: envInt('BENCH_IDLE_S', 30),
    scenarios: envScenarios(),
    keep: process.env['BENCH_KEEP'] === '1',
    strict: process.env['BENCH_STRICT'] === '1',
  };
}

// Targets (from the issue).
export const TARGET_LAG_P50_S = 1.5;
export const TARGET_CATCHUP_RATIO = 0.25;
export const TARGET_IDLE_PCT = 1;
export const TARGET_RSS_MB = 200; // 10^6 bytes

export const SINGLE_POLL_MS = 10;
export const BURST_POLL_MS = 50;
/** One change (or one burst) must reach the slave within this long, or its scenario fails. */
export const LAG_LIMIT_MS = 60_000;
/** The first full sync of a tree must be done within this long. */
export const CATCHUP_LIMIT_MS = 30 * 60_000;
/**
 * An S3 catch-up (1 % of the files changed while stopped) must be done within this long, or
 * twice the first sync of the whole tree when that took longer.
 */
export const S3_LIMIT_MS = 60_000;
/** Quiet time after the slave caught up before the idle CPU window opens. */
export const IDLE_SETTLE_MS = 5_000;
