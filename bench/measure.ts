// Timed child runs for benchmarks: wall time from hrtime; CPU (user+sys) and peak RSS from
// GNU time when /usr/bin/time is GNU's, otherwise reported as n/a (nothing is installed).

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execa } from 'execa';

export const GNU_TIME = '/usr/bin/time';

export interface Sample {
  readonly wallS: number;
  /** user + sys seconds of the child and every descendant it waited for; null without GNU time. */
  readonly cpuS: number | null;
  /**
   * Peak RSS in MiB of the largest single process in the child tree (getrusage semantics: the
   * maximum over processes, not their sum); null without GNU time.
   */
  readonly maxRssMiB: number | null;
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** True when /usr/bin/time exists and is GNU time (it understands -f and -o). */
export async function hasGnuTime(): Promise<boolean> {
  if (!fs.existsSync(GNU_TIME)) return false;
  const r = await execa(GNU_TIME, ['--version'], { reject: false });
  return `${r.stdout}${r.stderr}`.includes('GNU');
}

/** Parses GNU time's '%e %U %S %M' line (the last line: a signal note may precede it). */
export function parseGnuTime(text: string): { cpuS: number; maxRssMiB: number } | null {
  const last = text.trim().split('\n').pop() ?? '';
  const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(last.trim());
  if (m === null) return null;
  return { cpuS: Number(m[2]) + Number(m[3]), maxRssMiB: Number(m[4]) / 1024 };
}

export interface TimedOptions {
  readonly cwd?: string;
  /** Measure CPU and RSS through GNU time (see hasGnuTime). */
  readonly gnuTime: boolean;
}

/** Runs `file args` once and measures it; never rejects on a non-zero exit. */
export async function timed(file: string, args: readonly string[], opts: TimedOptions): Promise<Sample> {
  const out = path.join(os.tmpdir(), `georep-bench-time-${randomBytes(6).toString('hex')}.txt`);
  const argv = opts.gnuTime ? [GNU_TIME, '-f', '%e %U %S %M', '-o', out, file, ...args] : [file, ...args];
  const [cmd, ...rest] = argv;
  const started = process.hrtime.bigint();
  const r = await execa(cmd ?? file, rest, { reject: false, cwd: opts.cwd, stdin: 'ignore' });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  let usage: { cpuS: number; maxRssMiB: number } | null = null;
  if (opts.gnuTime) {
    usage = fs.existsSync(out) ? parseGnuTime(fs.readFileSync(out, 'utf8')) : null;
    fs.rmSync(out, { force: true });
  }
  return {
    wallS,
    cpuS: usage?.cpuS ?? null,
    maxRssMiB: usage?.maxRssMiB ?? null,
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}
