// Benchmark of the live daemon (`georep start` / `georep stop`, compiled dist/), on the bulk tree
// plus the hard cases (bench/live/tree.ts: hard links far apart, symlinks, awkward byte names,
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

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, runGeorep } from '../test/support/cli.js';
import { displayPath, SeededBytes, SeededRandom } from '../test/support/tree-bytes.js';
import { buildBulkTree } from '../test/support/tree-builder.js';
import type { BulkSummary } from '../test/support/tree-builder.js';
import { compareTrees, formatDifferences } from '../test/support/tree-compare.js';
import type { Difference } from '../test/support/tree-compare.js';
import { envBytes, envInt } from './env.js';
import { hasGnuTime, timed } from './measure.js';
import { absOf, addHardCases, bytesOf, dirOf, relOf, showRel } from './live/tree.js';
import type { HardSummary, Rel } from './live/tree.js';
import { applyChanges, BURST_MIX, CATCHUP_MIX, TreeModel } from './live/workload.js';
import { median } from './report.js';

// ---------------------------------------------------------------------------------------------
// Parameters

const SCENARIOS = ['s2', 's3', 'idle', 'rss'] as const;
type ScenarioKey = (typeof SCENARIOS)[number];

interface Params {
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

function readParams(): Params {
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
const TARGET_LAG_P50_S = 1.5;
const TARGET_CATCHUP_RATIO = 0.25;
const TARGET_IDLE_PCT = 1;
const TARGET_RSS_MB = 200; // 10^6 bytes

const SINGLE_POLL_MS = 10;
const BURST_POLL_MS = 50;
/** One change (or one burst) must reach the slave within this long, or its scenario fails. */
const LAG_LIMIT_MS = 60_000;
/** The first full sync of a tree must be done within this long. */
const CATCHUP_LIMIT_MS = 30 * 60_000;
/**
 * An S3 catch-up (1 % of the files changed while stopped) must be done within this long, or
 * twice the first sync of the whole tree when that took longer.
 */
const S3_LIMIT_MS = 60_000;
/** Quiet time after the slave caught up before the idle CPU window opens. */
const IDLE_SETTLE_MS = 5_000;

const GEOREP_MAIN = path.join(repoRoot, 'dist', 'cli', 'main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Stops the benchmark: reported at top level, exit status 1 (daemons stopped, temp dirs removed). */
class BenchFailure extends Error {}

function fail(message: string): never {
  throw new BenchFailure(message);
}

// ---------------------------------------------------------------------------------------------
// Statistics

interface Stats {
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

function stats(xs: readonly number[]): Stats {
  return {
    n: xs.length,
    p50: median(xs),
    p95: percentile(xs, 95),
    min: xs.length === 0 ? Number.NaN : Math.min(...xs),
    max: xs.length === 0 ? Number.NaN : Math.max(...xs),
  };
}

// ---------------------------------------------------------------------------------------------
// /proc helpers

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  /** utime + stime + cutime + cstime, in clock ticks (reaped children count in their parent). */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i - 3] ?? 0);
  return { pid, ppid: n(4), state: f[0] ?? '?', ticks: n(14) + n(15) + n(16) + n(17) };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** `root` and all its descendants (from the ppid links in /proc/<pid>/stat). */
function processTree(root: number): ProcStat[] {
  const stats = allStats();
  const kids = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const list = kids.get(s.ppid) ?? [];
    list.push(s);
    kids.set(s.ppid, list);
  }
  const self = stats.find((s) => s.pid === root);
  if (self === undefined) return [];
  const out: ProcStat[] = [];
  const queue = [self];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    out.push(s);
    queue.push(...(kids.get(s.pid) ?? []));
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** A /proc/<pid>/status field in kB (VmHWM, VmRSS); undefined when the process is gone. */
function statusKb(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** inotify watches held by a process: `inotify wd:` lines over its fdinfo files. */
function inotifyWatches(pid: number): number {
  let n = 0;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return 0;
  }
  for (const fd of fds) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      for (const line of text.split('\n')) if (line.startsWith('inotify wd:')) n++;
    } catch {
      // the fd closed meanwhile
    }
  }
  return n;
}

function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

// ---------------------------------------------------------------------------------------------
// Sessions of the live daemon

type Role = 'monitor' | 'recorder' | 'worker' | 'agent' | 'other';
const ROLES: readonly Role[] = ['monitor', 'recorder', 'worker', 'agent', 'other'];

interface StatusFile {
  readonly crawlStatus?: string;
  readonly filesPending?: number;
  readonly bytesPending?: number;
  readonly deletesPending?: number;
  readonly failures?: readonly unknown[];
  readonly updatedMs?: number;
}

/** One georep session (master, slave, workdir) started by this benchmark. */
class Session {
  /** Every session this run started: stopped (and, failing that, killed) at the end. */
  static readonly all: Session[] = [];

  constructor(
    readonly master: string,
    readonly slave: string,
    readonly work: string,
  ) {
    Session.all.push(this);
  }

  private args(cmd: 'start' | 'stop'): string[] {
    return [cmd, this.master, this.slave, '--workdir', this.work];
  }

  dir(): string | undefined {
    try {
      const [name] = fs.readdirSync(path.join(this.work, 'sessions'));
      return name === undefined ? undefined : path.join(this.work, 'sessions', name);
    } catch {
      return undefined;
    }
  }

  /** The pids this session's monitor wrote (monitor.pid, monitor.json); only these are ever killed. */
  pids(): { monitor?: number; recorder?: number; worker?: number } {
    const dir = this.dir();
    if (dir === undefined) return {};
    const out: { monitor?: number; recorder?: number; worker?: number } = {};
    try {
      out.monitor = Number(fs.readFileSync(path.join(dir, 'monitor.pid'), 'utf8').trim());
    } catch {
      // not written yet
    }
    try {
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
        children?: Record<string, number>;
      };
      if (state.children?.['recorder'] !== undefined) out.recorder = state.children['recorder'];
      if (state.children?.['worker'] !== undefined) out.worker = state.children['worker'];
    } catch {
      // not written yet
    }
    return out;
  }

  running(): boolean {
    const m = this.pids().monitor;
    return m !== undefined && alive(m);
  }

  status(): StatusFile | undefined {
    const dir = this.dir();
    if (dir === undefined) return undefined;
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as StatusFile;
    } catch {
      return undefined;
    }
  }

  logTail(lines = 30): string {
    const dir = this.dir();
    if (dir === undefined) return '(no session folder)';
    try {
      return fs.readFileSync(path.join(dir, 'georep.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no georep.log)';
    }
  }

  /** georep.log's WARN and ERROR lines (the last `max`). */
  logProblems(max = 20): string[] {
    const dir = this.dir();
    if (dir === undefined) return [];
    try {
      return fs
        .readFileSync(path.join(dir, 'georep.log'), 'utf8')
        .split('\n')
        .filter((l) => / (WARN|ERROR) /.test(l))
        .slice(-max)
        .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
    } catch {
      return [];
    }
  }

  /** The monitor and every descendant, each with its role. */
  tree(): (ProcStat & { role: Role; cmd: string })[] {
    const p = this.pids();
    if (p.monitor === undefined) return [];
    return processTree(p.monitor).map((s) => {
      const cmd = cmdline(s.pid);
      const role: Role =
        s.pid === p.monitor
          ? 'monitor'
          : s.pid === p.recorder
            ? 'recorder'
            : s.pid === p.worker
              ? 'worker'
              : cmd.includes('agent-main.js')
                ? 'agent'
                : 'other';
      return { ...s, role, cmd };
    });
  }

  async start(): Promise<void> {
    const r = await runGeorep(this.args('start'), { useDist: true, timeoutMs: 60_000 });
    if (r.exitCode !== 0) fail(`georep ${this.args('start').join(' ')} exited ${r.exitCode ?? r.signal}:\n${r.stderr}`);
  }

  async stop(): Promise<void> {
    const before = this.pids();
    const r = await runGeorep(this.args('stop'), { useDist: true, timeoutMs: 120_000 });
    if (r.exitCode !== 0) fail(`georep ${this.args('stop').join(' ')} exited ${r.exitCode ?? r.signal}:\n${r.stderr}`);
    const survivors = [before.monitor, before.recorder, before.worker].filter(
      (pid): pid is number => pid !== undefined && alive(pid),
    );
    if (survivors.length > 0) fail(`pids ${survivors.join(', ')} survived georep stop`);
  }

  /** `georep resync` of one path (relative to the master, argv-safe; '.' is the root). */
  async resync(rel: string): Promise<void> {
    const target = rel === '.' ? this.master : path.join(this.master, rel);
    const r = await runGeorep(['resync', this.master, this.slave, target, '--workdir', this.work], {
      useDist: true,
      timeoutMs: 60_000,
    });
    if (r.exitCode !== 0) fail(`georep resync ${JSON.stringify(rel)} exited ${r.exitCode ?? r.signal}:\n${r.stderr}`);
  }

  /** Best effort at the end of the run: `georep stop`, then SIGKILL what this session's files name. */
  cleanupSync(): void {
    try {
      if (this.running())
        execFileSync(process.execPath, [GEOREP_MAIN, ...this.args('stop')], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // reported below if anything survived
    }
    const p = this.pids();
    for (const pid of [p.monitor, p.recorder, p.worker]) {
      // Only our own processes: the command line names this session's workdir.
      if (pid !== undefined && alive(pid) && cmdline(pid).includes(this.work)) {
        console.error(`cleanup: killing leftover georep process ${pid}`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}

/** Slave equal to the master? Differences, or one pseudo-difference when the walk failed mid-change. */
function compareSafe(master: string, slave: string): Difference[] {
  try {
    return compareTrees(master, slave);
  } catch (e) {
    return [{ path: '.', what: 'missing', master, slave: `compare failed: ${String(e)}` }];
  }
}

/**
 * A scenario's slave did not equal the master within its limit (or its daemon died): the
 * scenario is reported as FAILED with these differences, and the bench goes on.
 */
class NotConverged extends Error {
  constructor(
    message: string,
    readonly diffs: readonly Difference[],
    readonly log: string,
  ) {
    super(message);
  }
}

/**
 * Waits for the first caught-up state after a start on a fresh workdir: status.json says the
 * worker is in its live Changelog crawl with nothing pending (written after `sinceMs`), and a
 * full compareTrees agrees. Returns the time (from `t0`) of the status poll after which the full
 * compare agreed. Once status says caught up, the slave must equal the master within
 * LAG_LIMIT_MS (compared again every poll), or the first sync did not converge.
 */
async function waitFirstCaughtUp(
  s: Session,
  t0: number,
  sinceEpochMs: number,
  onPoll: () => void,
): Promise<{ caughtUpS: number; compareS: number; compares: number }> {
  let compares = 0;
  let caughtSince: number | undefined;
  for (;;) {
    onPoll();
    const st = s.status();
    if (
      st?.crawlStatus === 'Changelog Crawl' &&
      (st.updatedMs ?? 0) >= sinceEpochMs &&
      st.filesPending === 0 &&
      st.bytesPending === 0 &&
      st.deletesPending === 0
    ) {
      const seen = nowMs();
      const diffs = compareSafe(s.master, s.slave);
      compares++;
      const compareS = (nowMs() - seen) / 1000;
      if (diffs.length === 0) return { caughtUpS: (seen - t0) / 1000, compareS, compares };
      caughtSince ??= seen;
      console.log(`  status says caught up but the slave differs in ${diffs.length} places; waiting`);
      if (nowMs() - caughtSince > LAG_LIMIT_MS)
        throw new NotConverged(
          `status has said caught up for ${((nowMs() - caughtSince) / 1000).toFixed(0)} s, but the slave still ` +
            `differs from the master in ${diffs.length} places (${compares} full compares; status first said ` +
            `caught up ${((caughtSince - t0) / 1000).toFixed(1)} s after the start, not a reported time)`,
          diffs,
          s.logTail(),
        );
    }
    if (!s.running())
      throw new NotConverged('the session daemon is not running', compareSafe(s.master, s.slave), s.logTail());
    if (nowMs() - t0 > CATCHUP_LIMIT_MS)
      throw new NotConverged(
        `not caught up after ${CATCHUP_LIMIT_MS / 1000} s\nstatus ${JSON.stringify(st)}`,
        compareSafe(s.master, s.slave),
        s.logTail(),
      );
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// The cheap convergence check: the expected state of the changed paths only

interface Expected {
  readonly rel: Rel;
  readonly kind: 'absent' | 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  /** Names of a regular file (hard links). */
  readonly nlink: bigint;
  /** File content (small files) or its sha256 (large ones). */
  readonly content?: Buffer;
  readonly sha256?: string;
  /** A symlink's target. */
  readonly target?: Buffer;
}

const INLINE_CONTENT = 4 * 1024 * 1024;
/** Directories and symlinks get their mtime through a double: allowed 1 µs (as in compareTrees). */
const NON_FILE_MTIME_SLACK_NS = 1000n;

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

const KIND_ORDER = { file: 0, other: 1, absent: 2, symlink: 3, dir: 4 } as const;

/** The master's state of `rels` (relative; '' is the root), right now. */
function expectState(master: string, rels: Iterable<Rel>): Expected[] {
  const out: Expected[] = [];
  for (const rel of rels) {
    const p = absOf(master, rel);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(p, { bigint: true });
    } catch {
      out.push({ rel, kind: 'absent', mode: 0, size: 0, mtimeNs: 0n, nlink: 0n });
      continue;
    }
    const base = { rel, mode: Number(st.mode & 0o7777n), size: Number(st.size), mtimeNs: st.mtimeNs, nlink: st.nlink };
    if (st.isFile()) {
      const data = fs.readFileSync(p);
      out.push(
        data.length <= INLINE_CONTENT
          ? { ...base, kind: 'file', content: data }
          : { ...base, kind: 'file', sha256: sha256(data) },
      );
    } else if (st.isSymbolicLink())
      out.push({ ...base, kind: 'symlink', target: fs.readlinkSync(p, { encoding: 'buffer' }) });
    else out.push({ ...base, kind: st.isDirectory() ? 'dir' : 'other' });
  }
  // Files first: their content is what lags; directory mtimes settle with them.
  return out.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}

/** Why the slave's `e.rel` does not match (undefined when it does). */
function mismatch(slave: string, e: Expected): string | undefined {
  const p = absOf(slave, e.rel);
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(p, { bigint: true });
  } catch {
    return e.kind === 'absent' ? undefined : 'missing';
  }
  if (e.kind === 'absent') return 'still present';
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  if (kind !== e.kind) return `type ${kind}, want ${e.kind}`;
  if (e.kind !== 'symlink' && Number(st.mode & 0o7777n) !== e.mode)
    return `mode ${(st.mode & 0o7777n).toString(8)}, want ${e.mode.toString(8)}`;
  if (e.kind === 'dir' || e.kind === 'symlink') {
    if (e.kind === 'symlink') {
      let target: Buffer;
      try {
        target = fs.readlinkSync(p, { encoding: 'buffer' });
      } catch {
        return 'unreadable link';
      }
      if (!target.equals(e.target ?? Buffer.alloc(0)))
        return `target ${displayPath(target)}, want ${displayPath(e.target ?? '')}`;
    }
    const d = st.mtimeNs > e.mtimeNs ? st.mtimeNs - e.mtimeNs : e.mtimeNs - st.mtimeNs;
    return d > NON_FILE_MTIME_SLACK_NS ? `mtime ${st.mtimeNs}, want ${e.mtimeNs}` : undefined;
  }
  if (e.kind !== 'file') return undefined;
  if (Number(st.size) !== e.size) return `size ${st.size}, want ${e.size}`;
  if (st.mtimeNs !== e.mtimeNs) return `mtime ${st.mtimeNs}, want ${e.mtimeNs}`;
  if (st.nlink !== e.nlink) return `${st.nlink} names, want ${e.nlink}`;
  let data: Buffer;
  try {
    data = fs.readFileSync(p);
  } catch {
    return 'unreadable';
  }
  if (e.content !== undefined ? !data.equals(e.content) : sha256(data) !== e.sha256) return 'content';
  return undefined;
}

/** First changed path the slave does not match yet, or undefined when all match. */
function firstMismatch(slave: string, expected: readonly Expected[]): string | undefined {
  for (const e of expected) {
    const why = mismatch(slave, e);
    if (why !== undefined) return `${showRel(e.rel)}: ${why}`;
  }
  return undefined;
}

interface Converged {
  /** ms from t0 to the moment the slave was seen equal (see waitEqual). */
  readonly lagMs: number;
  /** Duration of the full compare that confirmed it, s. */
  readonly compareS: number;
  /** Full compares made (more than one: the cheap check passed before the whole tree was equal). */
  readonly compares: number;
}

/**
 * Polls the changed paths every `pollMs` until they all match, then confirms with a full
 * compareTrees of the whole tree. The time reported is the poll at which every changed path
 * matched, when the first full compare then agrees. When it does not (the cheap check passed
 * before something else landed), full compares are repeated and the time is the end of the
 * first one that agrees. A slave not equal to the master within `limitMs` throws NotConverged
 * with the differences of the last full compare.
 */
async function waitEqual(
  s: Session,
  expected: readonly Expected[],
  t0: number,
  pollMs: number,
  limitMs: number,
  what: string,
): Promise<Converged> {
  let cheapAt: number | undefined;
  let lastCheap: string | undefined;
  let diffs: Difference[] = [];
  let compares = 0;
  for (;;) {
    const t = nowMs();
    if (cheapAt === undefined) {
      lastCheap = firstMismatch(s.slave, expected);
      if (lastCheap === undefined) cheapAt = t;
    }
    if (cheapAt !== undefined) {
      const c0 = nowMs();
      diffs = compareSafe(s.master, s.slave);
      compares++;
      const c1 = nowMs();
      if (diffs.length === 0)
        return { lagMs: (compares === 1 ? cheapAt : c1) - t0, compareS: (c1 - c0) / 1000, compares };
      if (compares === 1)
        console.log(
          `  ${what}: every changed path matched after ${(cheapAt - t0).toFixed(0)} ms, but the full compare found ` +
            `${diffs.length} differences (first: ${diffs[0]?.path}: ${diffs[0]?.what}); comparing again until ${limitMs / 1000} s`,
        );
    }
    if (nowMs() - t0 > limitMs) {
      if (cheapAt === undefined) diffs = compareSafe(s.master, s.slave);
      throw new NotConverged(
        `${what}: the slave did not equal the master within ${limitMs / 1000} s; ` +
          (cheapAt === undefined
            ? `a changed path still differs (${lastCheap})`
            : `every changed path matched after ${(cheapAt - t0).toFixed(0)} ms, but ${compares} full compares found differences`) +
          `\nstatus ${JSON.stringify(s.status())}`,
        diffs,
        s.logTail(),
      );
    }
    if (!s.running())
      throw new NotConverged(`${what}: the session daemon is not running`, compareSafe(s.master, s.slave), s.logTail());
    await sleep(cheapAt === undefined ? pollMs : 250);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly n: string;
  readonly p50: string;
  readonly p95: string;
  readonly target: string;
  readonly verdict: string;
}

const f2 = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? '' : ok ? 'met' : 'MISSED';
}

interface Failure {
  readonly scenario: string;
  /** Whether an untimed repair (georep resync) or a fresh session let the next scenarios run. */
  recovery?: string;
  readonly message: string;
  readonly differences: number;
  readonly firstDifferences: string;
  readonly log: string;
}

interface Ctx {
  readonly p: Params;
  readonly base: string;
  readonly gnuTime: boolean;
  readonly rows: Row[];
  readonly results: Record<string, unknown>;
  readonly missed: string[];
  readonly failures: Failure[];
  /** The daemon's first sync of the main tree, s (bounds the S3 wait). */
  firstSyncS?: number;
}

/**
 * Runs one scenario. When it throws (its slave did not converge, its daemon died, a command
 * failed) it is reported as FAILED, with the first differences, and the bench goes on.
 */
/** Each failure's full list of differences (for the repair). */
const failures = new WeakMap<Failure, readonly Difference[]>();

async function runScenario(ctx: Ctx, name: string, fn: () => Promise<void>): Promise<Failure | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    const message =
      e instanceof BenchFailure || e instanceof NotConverged
        ? e.message
        : e instanceof Error
          ? (e.stack ?? e.message)
          : String(e);
    const diffs = e instanceof NotConverged ? e.diffs : [];
    const failure: Failure = {
      scenario: name,
      message,
      differences: diffs.length,
      firstDifferences: formatDifferences(diffs),
      log: e instanceof NotConverged ? e.log : '',
    };
    ctx.failures.push(failure);
    const firstLine = message.split('\n')[0] ?? '';
    ctx.rows.push({
      scenario: name,
      metric: `FAILED: ${firstLine.length > 110 ? `${firstLine.slice(0, 110)}…` : firstLine}`,
      n: '',
      p50: 'FAILED',
      p95: '',
      target: '',
      verdict: 'FAILED',
    });
    console.log(`\nFAILED: ${name}: ${message}`);
    if (diffs.length > 0) console.log(`  ${diffs.length} differences, the first:\n${failure.firstDifferences}`);
    if (failure.log !== '') console.log(`--- georep.log (tail) ---\n${failure.log}\n---`);
    failures.set(failure, diffs);
    return failure;
  }
}

/** Peak RSS per role (kB, VmHWM) while `poll` is called; warns when a process was replaced. */
class RssTracker {
  readonly peakKb: Record<Role, number> = { monitor: 0, recorder: 0, worker: 0, agent: 0, other: 0 };
  private readonly seen = new Map<Role, Set<number>>();

  constructor(private readonly s: Session) {}

  poll(): void {
    for (const proc of this.s.tree()) {
      const kb = statusKb(proc.pid, 'VmHWM');
      if (kb === undefined) continue;
      this.peakKb[proc.role] = Math.max(this.peakKb[proc.role], kb);
      if (proc.role !== 'other') {
        const set = this.seen.get(proc.role) ?? new Set<number>();
        set.add(proc.pid);
        this.seen.set(proc.role, set);
      }
    }
  }

  /** Roles whose process changed (a crash and restart) while tracked. */
  restarted(): string[] {
    return [...this.seen.entries()].filter(([, pids]) => pids.size > 1).map(([role, pids]) => `${role} ${[...pids]}`);
  }
}

const mb = (kb: number): number => (kb * 1024) / 1e6;

interface FirstSyncResult {
  readonly caughtUpS: number;
  readonly compareS: number;
  readonly peakMb: Record<Role, number>;
  readonly cpuS: number;
}

/** Starts the daemon on a fresh workdir and waits for the first caught-up state. */
async function firstSync(s: Session, label: string): Promise<FirstSyncResult> {
  const rss = new RssTracker(s);
  const sinceEpoch = Date.now();
  const t0 = nowMs();
  await s.start();
  const r = await waitFirstCaughtUp(s, t0, sinceEpoch, () => rss.poll());
  rss.poll();
  // Every process of the tree started with this start: its CPU so far is the first sync's.
  const cpuS = s.tree().reduce((a, proc) => a + proc.ticks, 0) / CLK_TCK;
  const restarted = rss.restarted();
  if (restarted.length > 0)
    console.log(
      `  WARNING: processes were restarted during the first sync: ${restarted.join('; ')}\n` +
        `  georep.log warnings and errors:\n    ${s.logProblems().join('\n    ')}`,
    );
  console.log(
    `  ${label}: caught up after ${r.caughtUpS.toFixed(1)} s (cpu ${cpuS.toFixed(1)} s; ` +
      `confirmed by compareTrees in ${r.compareS.toFixed(1)} s)`,
  );
  const peakMb = Object.fromEntries(ROLES.map((role) => [role, mb(rss.peakKb[role])])) as Record<Role, number>;
  return { caughtUpS: r.caughtUpS, compareS: r.compareS, peakMb, cpuS };
}

/** rsync variants measured next to the daemon: -a, and -aH since georep keeps hard links. */
const RSYNC_FLAGS = ['-a', '-aH'] as const;
type RsyncFlag = (typeof RSYNC_FLAGS)[number];

/** rsync copies of the master made by the first-sync comparison; S3 reuses the first of each. */
type Copies = Record<RsyncFlag, string>;

/**
 * First sync: `rsync -a` and `rsync -aH` of the tree into empty directories, then the daemon's
 * first sync (start on a fresh workdir → caught up, confirmed by compareTrees), then the rsyncs
 * again (order A B G B A), `sync` before each. Ratios are georep over the rsync medians.
 */
async function scenarioFirstSync(ctx: Ctx, s: Session, label: string, copies: Partial<Copies>): Promise<void> {
  const { base, gnuTime } = ctx;
  const rs: Record<RsyncFlag, { wallS: number; cpuS: number | null }[]> = { '-a': [], '-aH': [] };
  const runRsync = async (flag: RsyncFlag, k: number): Promise<void> => {
    const dir = path.join(base, `rsync${flag}-${k}`);
    execFileSync('sync');
    const r = await timed('rsync', [flag, `${s.master}/`, `${dir}/`], { gnuTime });
    if (r.exitCode !== 0) fail(`rsync ${flag} exited ${r.exitCode}:\n${r.stderr}`);
    rs[flag].push({ wallS: r.wallS, cpuS: r.cpuS });
    if (k === 0) copies[flag] = dir;
    console.log(
      `  rsync ${flag.padEnd(3)} into an empty dir: ${r.wallS.toFixed(2)} s${r.cpuS === null ? '' : ` (cpu ${r.cpuS.toFixed(2)} s)`}`,
    );
  };
  console.log(`first sync: rsync -a, rsync -aH, georep, rsync -aH, rsync -a (sync before each)`);
  await runRsync('-a', 0);
  await runRsync('-aH', 0);
  // rsync's own result is not required to be equal (no -S, for one): what differs is printed.
  const rsDiffs = compareSafe(s.master, copies['-aH'] ?? '');
  const byKind = new Map<string, number>();
  for (const d of rsDiffs) byKind.set(d.what, (byKind.get(d.what) ?? 0) + 1);
  console.log(
    `  the rsync -aH copy differs from the master in ${rsDiffs.length} places` +
      (rsDiffs.length > 0
        ? ` (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}): rsync's result, not judged`
        : ''),
  );
  execFileSync('sync');
  ctx.results['firstSync'] = { rsync: rs };
  const scenario = `first sync ${label}`;
  const med = (flag: RsyncFlag): number => median(rs[flag].map((x) => x.wallS));
  const medCpu = (flag: RsyncFlag): number =>
    rs[flag].every((x) => x.cpuS !== null) ? median(rs[flag].map((x) => x.cpuS ?? 0)) : Number.NaN;
  const rsyncRows = (): void => {
    for (const flag of RSYNC_FLAGS)
      ctx.rows.push({
        scenario,
        metric: `rsync ${flag} into an empty dir, s (cpu ${f2(medCpu(flag))} s)`,
        n: String(rs[flag].length),
        p50: f2(med(flag)),
        p95: f2(stats(rs[flag].map((x) => x.wallS)).p95),
        target: '',
        verdict: '',
      });
  };
  let first: FirstSyncResult;
  try {
    first = await firstSync(s, label);
  } catch (e) {
    rsyncRows(); // measured all the same; the failure row follows them
    throw e;
  }
  ctx.firstSyncS = first.caughtUpS;
  await runRsync('-aH', 1);
  await runRsync('-a', 1);
  ctx.rows.push({
    scenario,
    metric: `georep start → caught up, s (cpu ${first.cpuS.toFixed(1)} s; peak RSS MB rec ${first.peakMb.recorder.toFixed(0)}, wrk ${first.peakMb.worker.toFixed(0)}, agent ${first.peakMb.agent.toFixed(0)})`,
    n: '1',
    p50: first.caughtUpS.toFixed(2),
    p95: '',
    target: '',
    verdict: '',
  });
  rsyncRows();
  for (const flag of RSYNC_FLAGS)
    ctx.rows.push({
      scenario,
      metric: `georep / rsync ${flag} (medians)`,
      n: '',
      p50: `${f2(first.caughtUpS / med(flag))}×`,
      p95: '',
      target: '',
      verdict: '',
    });
  ctx.results['firstSync'] = {
    georep: first,
    rsync: rs,
    ratio: Object.fromEntries(RSYNC_FLAGS.map((flag) => [flag, first.caughtUpS / med(flag)])),
  };
}

/** The bytes of a compareTrees display path (displayPath: '\\\\' is a backslash, '\\xNN' a byte). */
function undisplay(shown: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < shown.length; i++) {
    const c = shown.charCodeAt(i);
    if (c === 0x5c && shown[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else if (c === 0x5c && shown[i + 1] === 'x') {
      out.push(Number.parseInt(shown.slice(i + 2, i + 4), 16));
      i += 3;
    } else out.push(c);
  }
  return Buffer.from(out);
}

/** Most paths a repair queues; more differences than that are not repaired but left to a fresh session. */
const REPAIR_MAX_PATHS = 20;

/**
 * After a failure, tries to make the slave equal again without timing anything: `georep resync`
 * of each differing path (a missing or extra name: its directory; a name argv cannot carry: its
 * nearest ancestor that it can), then full compares until equal or LAG_LIMIT_MS. True when the
 * slave equals the master.
 */
async function repair(s: Session, diffs: readonly Difference[]): Promise<boolean> {
  if (diffs.length === 0) return compareSafe(s.master, s.slave).length === 0;
  if (!s.running()) return false;
  const targets = new Set<string>();
  for (const d of diffs) {
    let rel = d.path === '.' ? '' : relOf(undisplay(d.path));
    if (d.what === 'missing' || d.what === 'extra' || d.what === 'type') rel = dirOf(rel);
    while (
      rel !== '' &&
      !(fs.existsSync(absOf(s.master, rel)) && Buffer.from(bytesOf(rel).toString('utf8')).equals(bytesOf(rel)))
    )
      rel = dirOf(rel);
    if (rel === '') {
      // A resync of the root is one of the whole tree (and ran the worker out of heap at 50,000 files).
      console.log(`  repair: ${d.path} would need a resync of the whole tree: not tried`);
      return false;
    }
    targets.add(bytesOf(rel).toString('utf8'));
  }
  if (targets.size > REPAIR_MAX_PATHS) {
    console.log(`  repair: ${targets.size} paths differ, more than ${REPAIR_MAX_PATHS}: not tried`);
    return false;
  }
  console.log(`  repair (untimed): georep resync of ${[...targets].map((t) => JSON.stringify(t)).join(', ')}`);
  try {
    for (const t of targets) await s.resync(t);
  } catch (e) {
    console.log(`  repair: ${String(e)}`);
    return false;
  }
  const t0 = nowMs();
  for (;;) {
    const left = compareSafe(s.master, s.slave);
    if (left.length === 0) {
      console.log(`  repair: the slave equals the master again after ${((nowMs() - t0) / 1000).toFixed(1)} s`);
      return true;
    }
    if (nowMs() - t0 > LAG_LIMIT_MS || !s.running()) {
      console.log(
        `  repair: the slave still differs in ${left.length} places (first: ${left[0]?.path}: ${left[0]?.what})`,
      );
      return false;
    }
    await sleep(1000);
  }
}

async function scenarioS2Single(ctx: Ctx, s: Session, model: TreeModel): Promise<void> {
  const { p } = ctx;
  const rnd = new SeededRandom(p.seed + 2);
  // Rewrite one small file with new content; every sample confirmed by a full compare.
  console.log(`S2a: single-change lag, ${p.lagSamples} samples (random 0.3-1.3 s pause between them)`);
  const probe = model.pick(rnd);
  console.log(`  probe ${showRel(probe)}`);
  const lags: number[] = [];
  const compareS: number[] = [];
  ctx.results['s2single'] = { probe: showRel(probe), samplesS: lags, compareS };
  for (let i = -1; i < p.lagSamples; i++) {
    const content = Buffer.from(`georep live bench probe ${i} ${rnd.next()}\n`);
    fs.writeFileSync(absOf(s.master, probe), content);
    const t0 = nowMs();
    const expected = expectState(s.master, [probe]);
    const r = await waitEqual(s, expected, t0, SINGLE_POLL_MS, LAG_LIMIT_MS, `S2a sample ${i + 1}`);
    if (i >= 0) {
      lags.push(r.lagMs / 1000); // sample 0 is a warm-up
      compareS.push(r.compareS);
    }
    process.stdout.write(
      i >= 0 ? ` ${(r.lagMs / 1000).toFixed(2)}` : `  warm-up ${(r.lagMs / 1000).toFixed(2)} s; samples:`,
    );
    await sleep(300 + rnd.int(1000));
  }
  process.stdout.write(`\n  each confirmed by compareTrees (median ${f2(median(compareS))} s)\n`);
  const single = stats(lags);
  ctx.rows.push({
    scenario: 'S2 single change',
    metric: 'lag s (write → slave equal, confirmed by compareTrees)',
    n: String(single.n),
    p50: f2(single.p50),
    p95: f2(single.p95),
    target: `p50 ≤ ${TARGET_LAG_P50_S} s`,
    verdict: verdict(single.p50 <= TARGET_LAG_P50_S),
  });
  if (single.p50 > TARGET_LAG_P50_S) ctx.missed.push('S2 single-change lag');
  ctx.results['s2single'] = { ...single, probe: showRel(probe), samplesS: lags, compareS };
}

async function scenarioS2Burst(ctx: Ctx, s: Session, model: TreeModel): Promise<void> {
  const { p } = ctx;
  const rnd = new SeededRandom(p.seed + 22);
  const pool = new SeededBytes(`${p.seed}-s2`).next(1024 * 1024);
  console.log(`S2b: ${p.bursts} bursts of ${p.burstOps} mixed changes`);
  const burstLags: number[] = [];
  const burstDetails: unknown[] = [];
  // Kept as they come: a later burst that fails leaves the confirmed ones in the JSON.
  ctx.results['s2burst'] = { samplesS: burstLags, burstDetails };
  for (let b = 0; b < p.bursts; b++) {
    const a0 = nowMs();
    const { changed, kinds } = applyChanges(s.master, model, BURST_MIX, p.burstOps, `b${b}`, rnd, pool);
    const t0 = nowMs();
    const expected = expectState(s.master, changed);
    const r = await waitEqual(
      s,
      expected,
      t0,
      BURST_POLL_MS,
      LAG_LIMIT_MS,
      `S2b burst ${b + 1}` + (burstLags.length > 0 ? ` (bursts before it: ${burstLags.map(f2).join(', ')} s)` : ''),
    );
    burstLags.push(r.lagMs / 1000);
    burstDetails.push({
      applyMs: t0 - a0,
      lagS: r.lagMs / 1000,
      paths: expected.length,
      kinds,
      compareS: r.compareS,
      compares: r.compares,
    });
    console.log(
      `  burst ${b + 1}: applied in ${(t0 - a0).toFixed(0)} ms, ${expected.length} paths to check; ` +
        `lag ${(r.lagMs / 1000).toFixed(2)} s (confirmed by compareTrees in ${r.compareS.toFixed(1)} s` +
        `${r.compares > 1 ? `, after ${r.compares} compares` : ''})`,
    );
    await sleep(1000 + rnd.int(1000));
  }
  const burst = stats(burstLags);
  ctx.rows.push({
    scenario: `S2 burst (${p.burstOps} changes)`,
    metric: 'lag s (last change → slave equal, confirmed by compareTrees)',
    n: String(burst.n),
    p50: f2(burst.p50),
    p95: f2(burst.p95),
    target: `p50 ≤ ${TARGET_LAG_P50_S} s`,
    verdict: verdict(burst.p50 <= TARGET_LAG_P50_S),
  });
  if (burst.p50 > TARGET_LAG_P50_S) ctx.missed.push('S2 burst lag');
  ctx.results['s2burst'] = { ...burst, samplesS: burstLags, burstDetails };
}

async function scenarioIdle(ctx: Ctx, s: Session): Promise<void> {
  const { p } = ctx;
  console.log(`idle: ${IDLE_SETTLE_MS / 1000} s to settle, then CPU over ${p.idleS} s with nothing changing`);
  await sleep(IDLE_SETTLE_MS);
  const before = s.tree();
  const t0 = nowMs();
  await sleep(p.idleS * 1000);
  const after = s.tree();
  const wallS = (nowMs() - t0) / 1000;
  const changedPids = (['monitor', 'recorder', 'worker', 'agent'] as const).filter((role) => {
    const a = before.filter((x) => x.role === role).map((x) => x.pid);
    const b = after.filter((x) => x.role === role).map((x) => x.pid);
    return a.join() !== b.join();
  });
  if (changedPids.length > 0)
    fail(`idle: processes changed during the window (${changedPids.join(', ')}): a crash?\n${s.logTail()}`);
  const byRole: Record<string, number> = {};
  for (const role of ROLES) {
    const sum = (list: typeof before): number => list.filter((x) => x.role === role).reduce((a, x) => a + x.ticks, 0);
    byRole[role] = ((sum(after) - sum(before)) / CLK_TCK / wallS) * 100;
  }
  const total = Object.values(byRole).reduce((a, x) => a + x, 0);
  const procs = after.map((x) => `${x.pid} ${x.role} (${x.state}) ${x.cmd.slice(0, 100)}`);
  console.log(
    `  % of one core: total ${total.toFixed(2)}; ` +
      ROLES.map((r) => `${r} ${(byRole[r] ?? 0).toFixed(2)}`).join(', ') +
      `\n  processes:\n    ${procs.join('\n    ')}`,
  );
  ctx.rows.push({
    scenario: 'idle CPU',
    metric: `% of one core over ${wallS.toFixed(0)} s (${ROLES.map((r) => `${r} ${f2(byRole[r] ?? 0)}`).join(', ')})`,
    n: '1',
    p50: f2(total),
    p95: '',
    target: `< ${TARGET_IDLE_PCT} %`,
    verdict: verdict(total < TARGET_IDLE_PCT),
  });
  if (!(total < TARGET_IDLE_PCT)) ctx.missed.push('idle CPU');
  ctx.results['idle'] = { wallS, clockTicks: CLK_TCK, totalPct: total, byRolePct: byRole, processes: procs };
}

async function scenarioS3(ctx: Ctx, s: Session, model: TreeModel, copies: Partial<Copies>): Promise<void> {
  const { p, base, gnuTime } = ctx;
  const rnd = new SeededRandom(p.seed + 3);
  const pool = new SeededBytes(`${p.seed}-s3`).next(1024 * 1024);
  const count = Math.max(1, Math.round(model.files.length / 100));
  const limitMs = Math.max(S3_LIMIT_MS, 2 * (ctx.firstSyncS ?? 0) * 1000);
  console.log(`S3: catch-up after ${count} changes (1 % of the files) made while stopped, ${p.rounds} rounds`);
  // The rsync copies: those of the first-sync comparison, brought up to date (untimed).
  const copy: Copies = { '-a': '', '-aH': '' };
  for (const flag of RSYNC_FLAGS) {
    copy[flag] = copies[flag] ?? path.join(base, `s3-rsync${flag}`);
    console.log(`  bringing the rsync ${flag} copy up to date (rsync ${flag} --delete, untimed) …`);
    execFileSync('rsync', [flag, '--delete', `${s.master}/`, `${copy[flag]}/`]);
  }
  type Tool = 'georep' | RsyncFlag;
  const TOOLS: readonly Tool[] = ['georep', '-a', '-aH'];
  const geo: number[] = [];
  const geoCpu: number[] = [];
  const rs: Record<RsyncFlag, number[]> = { '-a': [], '-aH': [] };
  const rsCpu: Record<RsyncFlag, (number | null)[]> = { '-a': [], '-aH': [] };
  const details: unknown[] = [];
  ctx.results['s3'] = { changes: count, rounds: details };
  for (let round = 0; round < p.rounds; round++) {
    if (s.running()) await s.stop();
    const { changed, kinds } = applyChanges(s.master, model, CATCHUP_MIX, count, `s${round}`, rnd, pool);
    const expected = expectState(s.master, changed);
    // The order rotates: each tool goes first, second and third in turn.
    const order = TOOLS.map((_, k) => TOOLS[(k + round) % TOOLS.length] ?? 'georep');
    const names = order.map((t) => (t === 'georep' ? 'georep' : `rsync ${t}`));
    console.log(`  round ${round + 1}/${p.rounds} (${names.join(', ')}), ${expected.length} paths to check`);
    const detail: Record<string, unknown> = { round: round + 1, order: names, kinds, paths: expected.length };
    details.push(detail);
    for (const tool of order) {
      execFileSync('sync');
      if (tool !== 'georep') {
        const r = await timed('rsync', [tool, '--delete', `${s.master}/`, `${copy[tool]}/`], { gnuTime });
        if (r.exitCode !== 0) fail(`rsync ${tool} --delete exited ${r.exitCode}:\n${r.stderr}`);
        rs[tool].push(r.wallS);
        rsCpu[tool].push(r.cpuS);
        detail[`rsync ${tool}`] = { wallS: r.wallS, cpuS: r.cpuS };
        console.log(
          `    rsync ${tool.padEnd(3)} --delete ${r.wallS.toFixed(2)} s${r.cpuS === null ? '' : `, cpu ${r.cpuS.toFixed(2)} s`}`,
        );
      } else {
        const t0 = nowMs();
        await s.start();
        const startedS = (nowMs() - t0) / 1000;
        const r = await waitEqual(s, expected, t0, BURST_POLL_MS, limitMs, `S3 round ${round + 1}`);
        // The session's processes all started with this start: their CPU is the catch-up's
        // (the wait for the full compare adds a little idle time).
        const cpuS = s.tree().reduce((a, proc) => a + proc.ticks, 0) / CLK_TCK;
        await s.stop();
        geo.push(r.lagMs / 1000);
        geoCpu.push(cpuS);
        detail['georep'] = {
          wallS: r.lagMs / 1000,
          startCommandS: startedS,
          cpuS,
          compareS: r.compareS,
          compares: r.compares,
        };
        console.log(
          `    georep          ${(r.lagMs / 1000).toFixed(2)} s (start command ${startedS.toFixed(2)} s), cpu ≈ ${cpuS.toFixed(2)} s; ` +
            `confirmed by compareTrees in ${r.compareS.toFixed(1)} s${r.compares > 1 ? ` after ${r.compares} compares` : ''}`,
        );
      }
    }
  }
  const g = stats(geo);
  ctx.rows.push({
    scenario: 'S3 catch-up (1 %)',
    metric: `georep start → slave equal, s (cpu ≈ ${f2(median(geoCpu))} s)`,
    n: String(g.n),
    p50: f2(g.p50),
    p95: f2(g.p95),
    target: '',
    verdict: '',
  });
  const ratios: Record<string, number> = {};
  for (const flag of RSYNC_FLAGS) {
    const r = stats(rs[flag]);
    const cpu = rsCpu[flag].filter((x): x is number => x !== null);
    const cpuMed = cpu.length === rsCpu[flag].length ? median(cpu) : Number.NaN;
    ctx.rows.push({
      scenario: 'S3 catch-up (1 %)',
      metric: `rsync ${flag} --delete, s (cpu ${f2(cpuMed)} s)`,
      n: String(r.n),
      p50: f2(r.p50),
      p95: f2(r.p95),
      target: '',
      verdict: '',
    });
    ratios[flag] = g.p50 / r.p50;
  }
  for (const flag of RSYNC_FLAGS) {
    const ratio = ratios[flag] ?? Number.NaN;
    ctx.rows.push({
      scenario: 'S3 catch-up (1 %)',
      metric: `georep / rsync ${flag} --delete (medians)`,
      n: '',
      p50: `${f2(ratio)}×`,
      p95: '',
      target: `≤ ${TARGET_CATCHUP_RATIO}×`,
      verdict: verdict(ratio <= TARGET_CATCHUP_RATIO),
    });
  }
  if (!((ratios['-a'] ?? Number.NaN) <= TARGET_CATCHUP_RATIO)) ctx.missed.push('S3 catch-up ratio');
  ctx.results['s3'] = {
    changes: count,
    georep: { ...g, samplesS: geo, cpuS: geoCpu },
    rsync: Object.fromEntries(
      RSYNC_FLAGS.map((flag) => [flag, { ...stats(rs[flag]), samplesS: rs[flag], cpuS: rsCpu[flag] }]),
    ),
    ratio: ratios,
    rounds: details,
  };
}

async function scenarioRss(ctx: Ctx): Promise<void> {
  const { p, base } = ctx;
  const dir = path.join(base, 'rss');
  const master = path.join(dir, 'master');
  console.log(`rss: generating ${p.rssFiles} files / ${(p.rssBytes / 1024 ** 2).toFixed(0)} MiB in ${master} …`);
  const g0 = nowMs();
  const tree = buildBulkTree(master, { files: p.rssFiles, totalBytes: p.rssBytes, seed: p.seed + 4 });
  console.log(`  ${tree.files} files in ${tree.dirs} dirs (${((nowMs() - g0) / 1000).toFixed(1)} s)`);
  const s = new Session(master, path.join(dir, 'slave'), path.join(dir, 'work'));
  try {
    const first = await firstSync(s, `${p.rssFiles} files`);
    const pids = s.pids();
    const watches = pids.recorder === undefined ? Number.NaN : inotifyWatches(pids.recorder);
    const workerWatches = pids.worker === undefined ? Number.NaN : inotifyWatches(pids.worker);
    const nowRss = Object.fromEntries(
      s.tree().map((proc) => [`${proc.role} ${proc.pid}`, mb(statusKb(proc.pid, 'VmRSS') ?? 0)]),
    );
    console.log(
      `  peak RSS (VmHWM, MB): ${ROLES.map((r) => `${r} ${first.peakMb[r].toFixed(0)}`).join(', ')}; ` +
        `inotify watches: recorder ${watches}, worker ${workerWatches}`,
    );
    const worst = Math.max(first.peakMb.monitor, first.peakMb.recorder, first.peakMb.worker, first.peakMb.agent);
    for (const role of ['recorder', 'worker', 'monitor', 'agent'] as const)
      ctx.rows.push({
        scenario: `RSS ${p.rssFiles} files`,
        metric: `peak RSS MB, ${role}`,
        n: '1',
        p50: first.peakMb[role].toFixed(0),
        p95: '',
        target: `≤ ${TARGET_RSS_MB} MB`,
        verdict: verdict(first.peakMb[role] <= TARGET_RSS_MB),
      });
    ctx.rows.push(
      {
        scenario: `RSS ${p.rssFiles} files`,
        metric: 'inotify watches held by the recorder',
        n: '1',
        p50: String(watches),
        p95: '',
        target: `(${tree.dirs + 1} dirs)`,
        verdict: '',
      },
      {
        scenario: `RSS ${p.rssFiles} files`,
        metric: `time to first caught-up state, s (cpu ${first.cpuS.toFixed(1)} s)`,
        n: '1',
        p50: first.caughtUpS.toFixed(1),
        p95: '',
        target: '',
        verdict: '',
      },
    );
    if (!(worst <= TARGET_RSS_MB)) ctx.missed.push('RSS');
    ctx.results['rss'] = { tree, ...first, inotifyWatches: { recorder: watches, worker: workerWatches }, nowRss };
    await s.stop();
  } finally {
    s.cleanupSync();
    if (!p.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

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

function hostInfo(): Record<string, unknown> {
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
      let s: Session | undefined = new Session(master, path.join(base, 'slave'), path.join(base, 'work'));
      const first = s;
      const copies: Partial<Copies> = {};
      const firstFailed = await runScenario(ctx, `first sync ${p.files} files`, () =>
        scenarioFirstSync(ctx, first, `${p.files} files`, copies),
      );
      const steps: (readonly [ScenarioKey, string, (s: Session, m: TreeModel) => Promise<void>])[] = [
        ['s2', 'S2 single change', (ss, m) => scenarioS2Single(ctx, ss, m)],
        ['s2', `S2 burst (${p.burstOps} changes)`, (ss, m) => scenarioS2Burst(ctx, ss, m)],
        ['idle', 'idle CPU', (ss) => scenarioIdle(ctx, ss)],
        ['s3', 'S3 catch-up (1 %)', (ss, m) => scenarioS3(ctx, ss, m, copies)],
      ];
      const rest = steps.filter(([key]) => p.scenarios.includes(key));
      /**
       * After a failure: an untimed repair of the session (georep resync of what differs), else a
       * fresh session of the same master (its first sync untimed, repaired the same way if need
       * be). Undefined when neither gives a slave equal to the master.
       */
      const recover = async (cur: Session, failure: Failure): Promise<Session | undefined> => {
        if (await repair(cur, failures.get(failure) ?? [])) {
          failure.recovery = 'repaired by georep resync (untimed); the next scenarios ran on the same session';
          return cur;
        }
        try {
          if (cur.running()) await cur.stop();
        } catch (e) {
          console.log(`  could not stop the failed session cleanly: ${String(e)}`);
        }
        const n = Session.all.length;
        const next = new Session(master, path.join(base, `slave-${n}`), path.join(base, `work-${n}`));
        console.log(`starting a fresh session (slave-${n}) for the remaining scenarios …`);
        const f = await runScenario(ctx, `fresh session ${n + 1} (after ${failure.scenario} failed)`, async () => {
          await firstSync(next, `fresh session ${n + 1}`);
        });
        if (f === undefined || (await repair(next, failures.get(f) ?? []))) {
          failure.recovery = `the next scenarios ran on a fresh session (slave-${n})`;
          return next;
        }
        failure.recovery = 'none: the next scenarios did not run';
        return undefined;
      };
      if (firstFailed !== undefined && rest.length > 0) s = await recover(first, firstFailed);
      let model = s === undefined ? undefined : new TreeModel(master);
      if (model !== undefined)
        console.log(
          `  model: ${model.files.length} single-name files, ${model.dirs.length} dirs (${model.awkDirs.length} awkward), ` +
            `${model.symlinks.length} symlinks, ${model.groups.length} hard-link groups`,
        );
      for (const [i, [, name, run]] of rest.entries()) {
        const cur = s;
        const m = model;
        if (cur === undefined || m === undefined) {
          ctx.rows.push({
            scenario: name,
            metric: 'not run: no session equal to the master after an earlier failure',
            n: '',
            p50: '',
            p95: '',
            target: '',
            verdict: '',
          });
          continue;
        }
        const failed = await runScenario(ctx, name, () => run(cur, m));
        if (failed === undefined || i === rest.length - 1) continue;
        s = await recover(cur, failed);
        model = new TreeModel(master); // a change set may have stopped half-way
      }
      if (s?.running() === true) await s.stop();
    }
    if (p.scenarios.includes('rss')) await runScenario(ctx, `RSS ${p.rssFiles} files`, () => scenarioRss(ctx));

    console.log(`\n${formatRows(ctx.rows)}`);
    console.log(`(p95 is nearest-rank: with fewer than 20 samples it is the maximum)`);
    if (ctx.failures.length > 0) {
      console.log(`\n${ctx.failures.length} scenario(s) FAILED (no time reported for them):`);
      for (const f of ctx.failures) {
        console.log(`- ${f.scenario}: ${f.message.split('\n')[0] ?? ''}`);
        if (f.recovery !== undefined) console.log(`  recovery: ${f.recovery}`);
        if (f.differences > 0) console.log(`  ${f.differences} differences, the first:\n${f.firstDifferences}`);
      }
    }
    const outDir = path.join(repoRoot, 'bench', 'out');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, `live-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
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
    fs.writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
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
