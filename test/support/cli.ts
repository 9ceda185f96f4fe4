// runGeorep: runs the real georep command as a subprocess, from source through tsx or, with
// GEOREP_USE_DIST=1, the compiled dist/ build, and returns what a user would see.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root (this file is test/support/cli.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GeorepCommand {
  readonly file: string;
  readonly args: readonly string[];
}

/** How to start georep: compiled when `useDist` (default: GEOREP_USE_DIST=1), else from source. */
export function georepCommand(useDist = process.env['GEOREP_USE_DIST'] === '1'): GeorepCommand {
  return useDist
    ? { file: process.execPath, args: [path.join(repoRoot, 'dist', 'cli', 'main.js')] }
    : { file: process.execPath, args: ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts')] };
}

export interface RunOptions {
  /** Extra environment variables (merged over the current environment). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the run after this long (default 120 s). */
  readonly timeoutMs?: number;
  /** Run the compiled build (default: GEOREP_USE_DIST=1). */
  readonly useDist?: boolean;
  readonly cwd?: string;
  /**
   * Run as this user id (and group id the same), through setpriv, when the tests run as root
   * (as CI does); otherwise as the current user, who is not root either.
   */
  readonly uid?: number;
}

export interface RunResult {
  /** Exit code; undefined when the process was killed by a signal. */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Runs `georep ...args`; never rejects on a non-zero exit (the caller asserts on it). */
export async function runGeorep(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const node = georepCommand(opts.useDist);
  const drop = opts.uid !== undefined && process.getuid?.() === 0;
  const cmd = drop
    ? {
        file: 'setpriv',
        args: [`--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '--', node.file, ...node.args],
      }
    : node;
  const started = process.hrtime.bigint();
  const r = await execa(cmd.file, [...cmd.args, ...args], {
    reject: false,
    cwd: opts.cwd ?? repoRoot,
    env: { ...opts.env },
    timeout: opts.timeoutMs ?? 120_000,
    stdin: 'ignore',
    stripFinalNewline: false,
  });
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    stdout: r.stdout,
    stderr: r.stderr,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
  };
}

/** A one-paragraph account of a run, for assertion messages. */
export function describeRun(args: readonly string[], r: RunResult): string {
  const tail = (s: string): string => s.split('\n').slice(-25).join('\n');
  return [
    `georep ${args.join(' ')}`,
    `exit=${r.exitCode ?? 'none'} signal=${r.signal ?? 'none'}${r.timedOut ? ' (timed out)' : ''} in ${Math.round(r.durationMs)} ms`,
    `--- stderr (tail) ---\n${tail(r.stderr)}`,
    `--- stdout (tail) ---\n${tail(r.stdout)}`,
  ].join('\n');
}
