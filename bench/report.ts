// Benchmark report: medians per scenario and tool, the georep/rsync ratio against the targets
// (first sync ≤ 1.0× rsync -a wall time; unchanged re-runs < 1.0×), as a table and as JSON.

import type { Sample } from './measure.js';

export type Tool = 'rsync' | 'georep';
export type ScenarioName = 'first sync' | 'unchanged re-run' | 'second unchanged re-run';

export interface Scenario {
  readonly name: ScenarioName;
  /** Target for median georep wall / median rsync wall, and whether equality passes. */
  readonly target: { readonly ratio: number; readonly inclusive: boolean };
  readonly samples: Record<Tool, Sample[]>;
}

export interface ToolSummary {
  readonly wallS: number;
  readonly cpuS: number | null;
  readonly maxRssMiB: number | null;
}

export interface ScenarioSummary {
  readonly name: ScenarioName;
  readonly rsync: ToolSummary;
  readonly georep: ToolSummary;
  readonly wallRatio: number;
  readonly cpuRatio: number | null;
  readonly targetMet: boolean;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Median of a nullable measure: null when any sample lacks it. */
function medianOrNull(xs: readonly (number | null)[]): number | null {
  const nums = xs.filter((x): x is number => x !== null);
  return nums.length === xs.length && nums.length > 0 ? median(nums) : null;
}

function summarizeTool(samples: readonly Sample[]): ToolSummary {
  return {
    wallS: median(samples.map((s) => s.wallS)),
    cpuS: medianOrNull(samples.map((s) => s.cpuS)),
    maxRssMiB: medianOrNull(samples.map((s) => s.maxRssMiB)),
  };
}

export function summarize(sc: Scenario): ScenarioSummary {
  const rsync = summarizeTool(sc.samples.rsync);
  const georep = summarizeTool(sc.samples.georep);
  const wallRatio = georep.wallS / rsync.wallS;
  const cpuRatio = georep.cpuS !== null && rsync.cpuS !== null && rsync.cpuS > 0 ? georep.cpuS / rsync.cpuS : null;
  const targetMet = sc.target.inclusive ? wallRatio <= sc.target.ratio : wallRatio < sc.target.ratio;
  return { name: sc.name, rsync, georep, wallRatio, cpuRatio, targetMet };
}

const fmt = (x: number | null, digits: number): string => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

/** A fixed-width table of medians, one block per scenario. */
export function formatTable(summaries: readonly ScenarioSummary[], rounds: number): string {
  const head = ['scenario', 'tool', 'wall s', 'cpu s', 'peak RSS MiB'];
  const rows: string[][] = [];
  for (const s of summaries) {
    for (const tool of ['rsync', 'georep'] as const) {
      const t = s[tool];
      rows.push([
        s.name,
        tool === 'rsync' ? 'rsync -a' : 'georep',
        fmt(t.wallS, 2),
        fmt(t.cpuS, 2),
        fmt(t.maxRssMiB, 0),
      ]);
    }
    const verdict = s.targetMet ? 'target met' : 'TARGET MISSED';
    rows.push([
      s.name,
      'georep/rsync',
      `${fmt(s.wallRatio, 2)}×`,
      s.cpuRatio === null ? 'n/a' : `${fmt(s.cpuRatio, 2)}×`,
      verdict,
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [
    `medians of ${rounds} round(s), warm page cache:`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}
