// Peak resident memory of a whole process tree, sampled from /proc. GNU time's %M (getrusage)
// reports the largest single process only; a one-shot sync is a Node master, a Node slave
// agent and several cp/rsync/tar children, and what the host must have free is their sum.
// The /proc readers and the process-tree walk are bench/procfs.ts's (shared with bench/live/).

import { spawn } from 'node:child_process';
import { argvOf, descendants, procPids, procText, statusNumber } from './procfs.js';

export interface ProcPeak {
  readonly pid: number;
  /** argv[0] basename, and for node the script's basename (main.js, agent-main.js …). */
  readonly name: string;
  /** VmHWM at the last sample: the process's own peak RSS, in KiB. */
  readonly hwmKiB: number;
}

export interface TreeRssSample {
  readonly wallS: number;
  readonly exitCode: number | null;
  /** The largest sum of VmRSS over every live process of the tree at one sample, in KiB. */
  readonly peakSumKiB: number;
  /** Seconds since the start at which peakSumKiB was seen. */
  readonly peakAtS: number;
  /**
   * The largest sum of Pss (proportional set size) at one sample, in KiB: shared pages (the
   * node binary, mapped by every Node process of the run) counted once over the tree.
   */
  readonly peakPssSumKiB: number;
  /** The processes alive at the peak sample, with their VmRSS then, in KiB. */
  readonly atPeak: readonly { name: string; rssKiB: number }[];
  /** Every process seen, with its own peak (VmHWM). */
  readonly processes: readonly ProcPeak[];
  readonly samples: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface ProcStatus {
  readonly pid: number;
  readonly ppid: number;
  /** VmRSS and VmHWM, in KiB. */
  readonly rss: number;
  readonly hwm: number;
}

function readStatus(pid: number): ProcStatus | undefined {
  const text = procText(pid, 'status');
  if (text === undefined) return undefined; // gone
  const field = (k: string): number => statusNumber(text, k) ?? 0;
  return { pid, ppid: field('PPid'), rss: field('VmRSS'), hwm: field('VmHWM') };
}

function pssOf(pid: number): number {
  const text = procText(pid, 'smaps_rollup');
  return text === undefined ? 0 : Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
}

function nameOf(pid: number): string {
  const argv = argvOf(pid);
  if (argv === undefined) return '?';
  const base = (s: string | undefined): string => (s ?? '?').split('/').pop() ?? '?';
  const exe = base(argv[0]);
  if (exe === 'node' || exe.startsWith('node')) {
    const script = argv.slice(1).find((a) => !a.startsWith('-'));
    return `node ${base(script)}`;
  }
  return exe;
}

/** `root` and all its descendants, from one pass over /proc (bench/procfs.ts's walk). */
function treeOf(root: number): ProcStatus[] {
  const all: ProcStatus[] = [];
  for (const pid of procPids()) {
    const st = readStatus(pid);
    if (st !== undefined) all.push(st);
  }
  return descendants(root, all);
}

/** Runs `file args`, sampling its process tree every `intervalMs`; never rejects on a non-zero exit. */
export async function runSampled(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; intervalMs?: number } = {},
): Promise<TreeRssSample> {
  const started = process.hrtime.bigint();
  const child = spawn(file, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const seen = new Map<number, ProcPeak>();
  let peakSum = 0;
  let peakPss = 0;
  let peakAt = 0;
  let atPeak: { name: string; rssKiB: number }[] = [];
  let samples = 0;
  const names = new Map<number, string>();
  const sample = (): void => {
    if (child.pid === undefined) return;
    const tree = treeOf(child.pid);
    let sum = 0;
    let pss = 0;
    const now: { name: string; rssKiB: number }[] = [];
    for (const st of tree) {
      const pid = st.pid;
      let name = names.get(pid);
      if (name === undefined || name === '?' || name === 'node ?') {
        name = nameOf(pid);
        names.set(pid, name);
      }
      sum += st.rss;
      pss += pssOf(pid);
      now.push({ name, rssKiB: st.rss });
      seen.set(pid, { pid, name, hwmKiB: Math.max(st.hwm, seen.get(pid)?.hwmKiB ?? 0) });
    }
    samples++;
    peakPss = Math.max(peakPss, pss);
    if (sum > peakSum) {
      peakSum = sum;
      peakAt = Number(process.hrtime.bigint() - started) / 1e9;
      atPeak = now;
    }
  };
  const timer = setInterval(sample, opts.intervalMs ?? 50);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(timer);
  return {
    wallS: Number(process.hrtime.bigint() - started) / 1e9,
    exitCode,
    peakSumKiB: peakSum,
    peakAtS: peakAt,
    peakPssSumKiB: peakPss,
    atPeak,
    processes: [...seen.values()],
    samples,
    stdout,
    stderr,
  };
}

/** One line per process name: count and the largest VmHWM, for a report. */
export function byName(ps: readonly ProcPeak[]): { name: string; count: number; maxHwmMiB: number }[] {
  const m = new Map<string, { name: string; count: number; maxHwmMiB: number }>();
  for (const p of ps) {
    const e = m.get(p.name) ?? { name: p.name, count: 0, maxHwmMiB: 0 };
    e.count++;
    e.maxHwmMiB = Math.max(e.maxHwmMiB, p.hwmKiB / 1024);
    m.set(p.name, e);
  }
  return [...m.values()].sort((a, b) => b.maxHwmMiB - a.maxHwmMiB);
}
