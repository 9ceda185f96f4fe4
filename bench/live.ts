// Benchmark of the live daemon (`georep start` / `georep stop`, compiled dist/):
//   s2    lag: one small rewrite until the slave copy has the same content; bursts of mixed changes
//         until every changed path matches (then one full compareTrees to confirm)
//   s3    catch-up after changes made while stopped: `georep start` → slave equal, against
//         `rsync -a --delete` of the same change set on a copy that was equal before
//   idle  CPU of the session's processes while nothing changes
//   rss   peak RSS and inotify watches on a tree of many tiny files, and the time to the first
//         caught-up state
// Medians and p95 are reported: these machines are noisy.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, runGeorep } from '../test/support/cli.js';
import { SeededBytes, SeededRandom } from '../test/support/tree-bytes.js';
import { buildBulkTree } from '../test/support/tree-builder.js';
import type { BulkSummary } from '../test/support/tree-builder.js';
import { compareTrees, formatDifferences } from '../test/support/tree-compare.js';
import type { Difference } from '../test/support/tree-compare.js';
import { envBytes, envInt } from './env.js';
import { hasGnuTime, timed } from './measure.js';
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
  return {
    files: envInt('BENCH_FILES', 50_000),
    bytes: envBytes('BENCH_BYTES', 256 * 1024 ** 2),
    rssFiles: envInt('BENCH_RSS_FILES', 200_000),
    rssBytes: envBytes('BENCH_RSS_BYTES', 100 * 1024 ** 2),
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
/** One change (or one burst) must reach the slave within this long, or the benchmark fails. */
const LAG_LIMIT_MS = 60_000;
/** The first full sync of a tree (and an S3 catch-up) must be done within this long. */
const CATCHUP_LIMIT_MS = 30 * 60_000;
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
 * Waits for the first caught-up state after a start on a fresh workdir: status.json says the
 * worker is in its live Changelog crawl with nothing pending (written after `sinceMs`), and a
 * full compareTrees agrees. Returns the time (from `t0`) at which that state was first seen.
 */
async function waitFirstCaughtUp(
  s: Session,
  t0: number,
  sinceEpochMs: number,
  onPoll: () => void,
): Promise<{ caughtUpS: number; compareS: number; compares: number }> {
  let compares = 0;
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
      console.log(`  status says caught up but the slave differs in ${diffs.length} places; waiting`);
      if (compares >= 10)
        fail(
          `the slave never became equal to the master after the first sync (${diffs.length} differences):\n` +
            `${formatDifferences(diffs)}\n--- georep.log (tail) ---\n${s.logTail()}`,
        );
    }
    if (!s.running()) fail(`the session daemon is not running\n--- georep.log (tail) ---\n${s.logTail()}`);
    if (nowMs() - t0 > CATCHUP_LIMIT_MS)
      fail(`not caught up after ${CATCHUP_LIMIT_MS / 1000} s; status ${JSON.stringify(st)}\n${s.logTail()}`);
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// The cheap convergence check: the expected state of the changed paths only

interface Expected {
  readonly rel: string;
  readonly kind: 'absent' | 'file' | 'dir' | 'other';
  readonly mode: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  /** File content (small files) or its sha256 (large ones). */
  readonly content?: Buffer;
  readonly sha256?: string;
}

const INLINE_CONTENT = 4 * 1024 * 1024;

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** The master's state of `rels` (relative paths; '' is the root), right now. */
function expectState(master: string, rels: Iterable<string>): Expected[] {
  const out: Expected[] = [];
  for (const rel of rels) {
    const p = path.join(master, rel);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(p, { bigint: true });
    } catch {
      out.push({ rel, kind: 'absent', mode: 0, size: 0, mtimeNs: 0n });
      continue;
    }
    const base = { rel, mode: Number(st.mode & 0o7777n), size: Number(st.size), mtimeNs: st.mtimeNs };
    if (st.isFile()) {
      const data = fs.readFileSync(p);
      out.push(
        data.length <= INLINE_CONTENT
          ? { ...base, kind: 'file', content: data }
          : { ...base, kind: 'file', sha256: sha256(data) },
      );
    } else out.push({ ...base, kind: st.isDirectory() ? 'dir' : 'other' });
  }
  // Files first: their content is what lags; directory mtimes settle with them.
  return out.sort((a, b) => (a.kind === 'dir' ? 1 : 0) - (b.kind === 'dir' ? 1 : 0));
}

/** Why the slave's `e.rel` does not match (undefined when it does). */
function mismatch(slave: string, e: Expected): string | undefined {
  const p = path.join(slave, e.rel);
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(p, { bigint: true });
  } catch {
    return e.kind === 'absent' ? undefined : 'missing';
  }
  if (e.kind === 'absent') return 'still present';
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  if (kind !== e.kind) return `type ${kind}, want ${e.kind}`;
  if (Number(st.mode & 0o7777n) !== e.mode)
    return `mode ${(st.mode & 0o7777n).toString(8)}, want ${e.mode.toString(8)}`;
  if (e.kind === 'dir') {
    const d = st.mtimeNs > e.mtimeNs ? st.mtimeNs - e.mtimeNs : e.mtimeNs - st.mtimeNs;
    return d > 1000n ? `mtime ${st.mtimeNs}, want ${e.mtimeNs}` : undefined;
  }
  if (e.kind !== 'file') return undefined;
  if (Number(st.size) !== e.size) return `size ${st.size}, want ${e.size}`;
  if (st.mtimeNs !== e.mtimeNs) return `mtime ${st.mtimeNs}, want ${e.mtimeNs}`;
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
    if (why !== undefined) return `${e.rel === '' ? '.' : e.rel}: ${why}`;
  }
  return undefined;
}

/**
 * Polls the changed paths every `pollMs` until they all match; returns ms from `t0` (taken
 * at the moment of the poll that matched). Then one full compareTrees must agree.
 */
async function waitEqual(
  s: Session,
  expected: readonly Expected[],
  t0: number,
  pollMs: number,
  limitMs: number,
  what: string,
): Promise<{ lagMs: number; compareS: number }> {
  let last: string | undefined;
  for (;;) {
    const t = nowMs();
    last = firstMismatch(s.slave, expected);
    if (last === undefined) {
      const lagMs = t - t0;
      const c0 = nowMs();
      const diffs = compareSafe(s.master, s.slave);
      const compareS = (nowMs() - c0) / 1000;
      if (diffs.length > 0) {
        await sleep(5_000);
        const later = compareSafe(s.master, s.slave).length;
        fail(
          `${what}: every changed path matched after ${lagMs.toFixed(0)} ms, but the full compare found ` +
            `${diffs.length} differences (${later === 0 ? 'gone 5 s later: the cheap check passed early' : `${later} still there 5 s later`}):\n` +
            `${formatDifferences(diffs)}\n--- georep.log (tail) ---\n${s.logTail()}`,
        );
      }
      return { lagMs, compareS };
    }
    if (t - t0 > limitMs)
      fail(
        `${what}: the slave did not converge within ${limitMs / 1000} s; first mismatch ${last}\n` +
          `status ${JSON.stringify(s.status())}\n--- georep.log (tail) ---\n${s.logTail()}`,
      );
    if (!s.running()) fail(`${what}: the session daemon is not running\n--- georep.log (tail) ---\n${s.logTail()}`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Change sets

/** The master's regular files and directories (relative), kept up to date as changes are made. */
class TreeModel {
  readonly files: string[] = [];
  readonly dirs: string[] = [''];

  constructor(root: string) {
    const walk = (rel: string): void => {
      for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
        const r = rel === '' ? d.name : `${rel}/${d.name}`;
        if (d.isDirectory()) {
          this.dirs.push(r);
          walk(r);
        } else if (d.isFile()) this.files.push(r);
      }
    };
    walk('');
  }

  /** Removes and returns a random file (swap-remove). */
  take(rnd: SeededRandom): string {
    const i = rnd.int(this.files.length);
    const f = this.files[i] ?? '';
    const lastFile = this.files.pop() ?? '';
    if (i < this.files.length) this.files[i] = lastFile;
    return f;
  }

  pick(rnd: SeededRandom): string {
    return this.files[rnd.int(this.files.length)] ?? '';
  }

  pickDir(rnd: SeededRandom): string {
    return this.dirs[rnd.int(this.dirs.length)] ?? '';
  }
}

type OpKind = 'create' | 'append' | 'rewrite' | 'rename-same-dir' | 'rename-cross-dir' | 'delete' | 'chmod';
type Mix = readonly (readonly [OpKind, number])[];

/** S2 bursts: every kind of change. */
const BURST_MIX: Mix = [
  ['create', 20],
  ['append', 15],
  ['rewrite', 15],
  ['rename-same-dir', 12],
  ['rename-cross-dir', 13],
  ['delete', 15],
  ['chmod', 10],
];
/** S3 (changes while stopped): rewrites, renames, deletes and creates. */
const CATCHUP_MIX: Mix = [
  ['rewrite', 30],
  ['rename-same-dir', 12],
  ['rename-cross-dir', 13],
  ['delete', 20],
  ['create', 25],
];
const MODES = [0o600, 0o640, 0o644, 0o664];

function chooseOp(mix: Mix, rnd: SeededRandom): OpKind {
  const total = mix.reduce((a, [, w]) => a + w, 0);
  let x = rnd.next() * total;
  for (const [op, w] of mix) {
    if (x < w) return op;
    x -= w;
  }
  return mix[0]?.[0] ?? 'create';
}

const dirOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
const join = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);

/**
 * Applies `count` changes of `mix` to the master as fast as possible; returns the changed paths
 * (both names of a rename) and their parent directories, and the count per kind.
 */
function applyChanges(
  master: string,
  model: TreeModel,
  mix: Mix,
  count: number,
  tag: string,
  rnd: SeededRandom,
  pool: Buffer,
): { changed: Set<string>; kinds: Record<string, number> } {
  const changed = new Set<string>();
  const kinds: Record<string, number> = {};
  const touch = (rel: string): void => {
    changed.add(rel);
    changed.add(dirOf(rel));
  };
  const slice = (min: number, max: number): Buffer => {
    const n = min + rnd.int(max - min + 1);
    const at = rnd.int(pool.length - n);
    return pool.subarray(at, at + n);
  };
  const abs = (rel: string): string => path.join(master, rel);
  for (let i = 0; i < count; i++) {
    let op = chooseOp(mix, rnd);
    if (op !== 'create' && model.files.length < 10) op = 'create';
    kinds[op] = (kinds[op] ?? 0) + 1;
    switch (op) {
      case 'create': {
        const rel = join(model.pickDir(rnd), `new-${tag}-${i}.dat`);
        fs.writeFileSync(abs(rel), slice(0, 16 * 1024), { flag: 'wx' });
        model.files.push(rel);
        touch(rel);
        break;
      }
      case 'append': {
        const rel = model.pick(rnd);
        fs.appendFileSync(abs(rel), slice(1, 4096));
        touch(rel);
        break;
      }
      case 'rewrite': {
        const rel = model.pick(rnd);
        fs.writeFileSync(abs(rel), slice(1, 16 * 1024));
        touch(rel);
        break;
      }
      case 'rename-same-dir':
      case 'rename-cross-dir': {
        const from = model.take(rnd);
        const dir = op === 'rename-same-dir' ? dirOf(from) : model.pickDir(rnd);
        const to = join(dir, `mv-${tag}-${i}.dat`);
        fs.renameSync(abs(from), abs(to));
        model.files.push(to);
        touch(from);
        touch(to);
        break;
      }
      case 'delete': {
        const rel = model.take(rnd);
        fs.unlinkSync(abs(rel));
        touch(rel);
        break;
      }
      case 'chmod': {
        const rel = model.pick(rnd);
        const cur = fs.statSync(abs(rel)).mode & 0o7777;
        const others = MODES.filter((m) => m !== cur);
        fs.chmodSync(abs(rel), others[rnd.int(others.length)] ?? 0o644);
        touch(rel);
        break;
      }
    }
  }
  return { changed, kinds };
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

interface Ctx {
  readonly p: Params;
  readonly base: string;
  readonly gnuTime: boolean;
  readonly rows: Row[];
  readonly results: Record<string, unknown>;
  readonly missed: string[];
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

/** Starts the daemon on a fresh workdir and waits for the first caught-up state. */
async function firstSync(
  s: Session,
  label: string,
): Promise<{ caughtUpS: number; compareS: number; peakMb: Record<Role, number>; cpuS: number }> {
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

async function scenarioS2(ctx: Ctx, s: Session, model: TreeModel): Promise<void> {
  const { p } = ctx;
  const rnd = new SeededRandom(p.seed + 2);
  const pool = new SeededBytes(`${p.seed}-s2`).next(1024 * 1024);

  // (a) single change: rewrite one small file with new content, poll the slave copy.
  console.log(`S2a: single-change lag, ${p.lagSamples} samples (random 0.3-1.3 s pause between them)`);
  const probe = model.pick(rnd);
  const lags: number[] = [];
  for (let i = -1; i < p.lagSamples; i++) {
    const content = Buffer.from(`georep live bench probe ${i} ${rnd.next()}\n`);
    fs.writeFileSync(path.join(s.master, probe), content);
    const t0 = nowMs();
    const slaveFile = path.join(s.slave, probe);
    for (;;) {
      let data: Buffer | undefined;
      try {
        data = fs.readFileSync(slaveFile);
      } catch {
        data = undefined;
      }
      if (data?.equals(content) === true) break;
      if (nowMs() - t0 > LAG_LIMIT_MS)
        fail(`S2a: ${probe} did not reach the slave within ${LAG_LIMIT_MS / 1000} s\n${s.logTail()}`);
      await sleep(SINGLE_POLL_MS);
    }
    const lag = nowMs() - t0;
    if (i >= 0) lags.push(lag / 1000); // sample -1 is a warm-up
    process.stdout.write(i >= 0 ? ` ${(lag / 1000).toFixed(2)}` : `  warm-up ${(lag / 1000).toFixed(2)} s; samples:`);
    await sleep(300 + rnd.int(1000));
  }
  process.stdout.write('\n');
  const c0 = nowMs();
  const diffs = compareSafe(s.master, s.slave);
  if (diffs.length > 0) fail(`S2a: the slave differs after the single changes:\n${formatDifferences(diffs)}`);
  console.log(`  verified by compareTrees (${((nowMs() - c0) / 1000).toFixed(1)} s)`);
  const single = stats(lags);

  // (b) bursts of mixed changes.
  console.log(`S2b: ${p.bursts} bursts of ${p.burstOps} mixed changes`);
  const burstLags: number[] = [];
  const burstDetails: unknown[] = [];
  for (let b = 0; b < p.bursts; b++) {
    const a0 = nowMs();
    const { changed, kinds } = applyChanges(s.master, model, BURST_MIX, p.burstOps, `b${b}`, rnd, pool);
    const t0 = nowMs();
    const expected = expectState(s.master, changed);
    const r = await waitEqual(s, expected, t0, BURST_POLL_MS, LAG_LIMIT_MS, `S2b burst ${b + 1}`);
    burstLags.push(r.lagMs / 1000);
    burstDetails.push({ applyMs: t0 - a0, lagS: r.lagMs / 1000, paths: expected.length, kinds, compareS: r.compareS });
    console.log(
      `  burst ${b + 1}: applied in ${(t0 - a0).toFixed(0)} ms, ${expected.length} paths to check; ` +
        `lag ${(r.lagMs / 1000).toFixed(2)} s (verified by compareTrees in ${r.compareS.toFixed(1)} s)`,
    );
    await sleep(1000 + rnd.int(1000));
  }
  const burst = stats(burstLags);

  ctx.rows.push(
    {
      scenario: 'S2 single change',
      metric: 'lag s (write → slave content equal)',
      n: String(single.n),
      p50: f2(single.p50),
      p95: f2(single.p95),
      target: `p50 ≤ ${TARGET_LAG_P50_S} s`,
      verdict: verdict(single.p50 <= TARGET_LAG_P50_S),
    },
    {
      scenario: `S2 burst (${p.burstOps} changes)`,
      metric: 'lag s (last change → slave equal)',
      n: String(burst.n),
      p50: f2(burst.p50),
      p95: f2(burst.p95),
      target: `p50 ≤ ${TARGET_LAG_P50_S} s`,
      verdict: verdict(burst.p50 <= TARGET_LAG_P50_S),
    },
  );
  if (single.p50 > TARGET_LAG_P50_S) ctx.missed.push('S2 single-change lag');
  if (burst.p50 > TARGET_LAG_P50_S) ctx.missed.push('S2 burst lag');
  ctx.results['s2'] = { single: { ...single, samplesS: lags }, burst: { ...burst, samplesS: burstLags, burstDetails } };
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

async function scenarioS3(ctx: Ctx, s: Session, model: TreeModel): Promise<void> {
  const { p, base, gnuTime } = ctx;
  const rnd = new SeededRandom(p.seed + 3);
  const pool = new SeededBytes(`${p.seed}-s3`).next(1024 * 1024);
  const copy = path.join(base, 'rsync-copy');
  const count = Math.max(1, Math.round(model.files.length / 100));
  console.log(`S3: catch-up after ${count} changes (1 % of the files) made while stopped, ${p.rounds} rounds`);
  console.log(`  preparing the rsync copy (rsync -a) …`);
  execFileSync('rsync', ['-a', `${s.master}/`, `${copy}/`]);
  const geo: number[] = [];
  const geoCpu: number[] = [];
  const rs: number[] = [];
  const rsCpu: (number | null)[] = [];
  const details: unknown[] = [];
  for (let round = 0; round < p.rounds; round++) {
    if (s.running()) await s.stop();
    const { changed, kinds } = applyChanges(s.master, model, CATCHUP_MIX, count, `s${round}`, rnd, pool);
    const expected = expectState(s.master, changed);
    const order = round % 2 === 0 ? (['georep', 'rsync'] as const) : (['rsync', 'georep'] as const);
    console.log(`  round ${round + 1}/${p.rounds} (${order.join(' then ')}), ${expected.length} paths to check`);
    const detail: Record<string, unknown> = { round: round + 1, order, kinds, paths: expected.length };
    for (const tool of order) {
      execFileSync('sync');
      if (tool === 'rsync') {
        const r = await timed('rsync', ['-a', '--delete', `${s.master}/`, `${copy}/`], { gnuTime });
        if (r.exitCode !== 0) fail(`rsync -a --delete exited ${r.exitCode}:\n${r.stderr}`);
        rs.push(r.wallS);
        rsCpu.push(r.cpuS);
        detail['rsync'] = { wallS: r.wallS, cpuS: r.cpuS };
        console.log(`    rsync  ${r.wallS.toFixed(2)} s${r.cpuS === null ? '' : `, cpu ${r.cpuS.toFixed(2)} s`}`);
      } else {
        const t0 = nowMs();
        await s.start();
        const startedS = (nowMs() - t0) / 1000;
        const r = await waitEqual(s, expected, t0, BURST_POLL_MS, CATCHUP_LIMIT_MS, `S3 round ${round + 1}`);
        // The session's processes all started with this start: their CPU is the catch-up's
        // (the wait for the full compare adds a little idle time).
        const cpuS = s.tree().reduce((a, proc) => a + proc.ticks, 0) / CLK_TCK;
        await s.stop();
        geo.push(r.lagMs / 1000);
        geoCpu.push(cpuS);
        detail['georep'] = { wallS: r.lagMs / 1000, startCommandS: startedS, cpuS, compareS: r.compareS };
        console.log(
          `    georep ${(r.lagMs / 1000).toFixed(2)} s (start command ${startedS.toFixed(2)} s), cpu ≈ ${cpuS.toFixed(2)} s; ` +
            `verified by compareTrees in ${r.compareS.toFixed(1)} s`,
        );
      }
    }
    details.push(detail);
  }
  const g = stats(geo);
  const r = stats(rs);
  const ratio = g.p50 / r.p50;
  const rsCpuNums = rsCpu.filter((x): x is number => x !== null);
  const rsCpuMed = rsCpuNums.length === rsCpu.length ? median(rsCpuNums) : Number.NaN;
  ctx.rows.push(
    {
      scenario: 'S3 catch-up (1 %)',
      metric: `georep start → slave equal, s (cpu ≈ ${f2(median(geoCpu))} s)`,
      n: String(g.n),
      p50: f2(g.p50),
      p95: f2(g.p95),
      target: '',
      verdict: '',
    },
    {
      scenario: 'S3 catch-up (1 %)',
      metric: `rsync -a --delete, s (cpu ${f2(rsCpuMed)} s)`,
      n: String(r.n),
      p50: f2(r.p50),
      p95: f2(r.p95),
      target: '',
      verdict: '',
    },
    {
      scenario: 'S3 catch-up (1 %)',
      metric: 'georep / rsync (medians)',
      n: '',
      p50: `${f2(ratio)}×`,
      p95: '',
      target: `≤ ${TARGET_CATCHUP_RATIO}×`,
      verdict: verdict(ratio <= TARGET_CATCHUP_RATIO),
    },
  );
  if (!(ratio <= TARGET_CATCHUP_RATIO)) ctx.missed.push('S3 catch-up ratio');
  ctx.results['s3'] = {
    changes: count,
    georep: { ...g, samplesS: geo, cpuS: geoCpu },
    rsync: { ...r, samplesS: rs, cpuS: rsCpu },
    ratio,
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
  const ctx: Ctx = { p, base, gnuTime, rows: [], results: {}, missed: [] };
  let tree: BulkSummary | undefined;
  let firstSync50: unknown;
  try {
    const needMain = p.scenarios.some((x) => x !== 'rss');
    if (needMain) {
      const master = path.join(base, 'master');
      console.log(`generating ${p.files} files / ${(p.bytes / 1024 ** 2).toFixed(0)} MiB (seed ${p.seed}) …`);
      const g0 = nowMs();
      tree = buildBulkTree(master, { files: p.files, totalBytes: p.bytes, seed: p.seed });
      console.log(
        `  ${tree.files} files in ${tree.dirs} dirs, ${tree.bytes} bytes (${((nowMs() - g0) / 1000).toFixed(1)} s)`,
      );
      const s = new Session(master, path.join(base, 'slave'), path.join(base, 'work'));
      const first = await firstSync(s, `first sync of ${p.files} files`);
      firstSync50 = first;
      ctx.rows.push({
        scenario: `first sync ${p.files} files`,
        metric: `start → caught up, s (cpu ${first.cpuS.toFixed(1)} s; peak RSS MB rec ${first.peakMb.recorder.toFixed(0)}, wrk ${first.peakMb.worker.toFixed(0)}, agent ${first.peakMb.agent.toFixed(0)})`,
        n: '1',
        p50: first.caughtUpS.toFixed(1),
        p95: '',
        target: '',
        verdict: '',
      });
      const model = new TreeModel(master);
      if (p.scenarios.includes('s2')) await scenarioS2(ctx, s, model);
      if (p.scenarios.includes('idle')) await scenarioIdle(ctx, s);
      if (p.scenarios.includes('s3')) await scenarioS3(ctx, s, model);
      if (s.running()) await s.stop();
    }
    if (p.scenarios.includes('rss')) await scenarioRss(ctx);

    console.log(`\n${formatRows(ctx.rows)}`);
    console.log(`(p95 is nearest-rank: with fewer than 20 samples it is the maximum)`);
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
      firstSync: firstSync50,
      results: ctx.results,
      table: ctx.rows,
      missed: ctx.missed,
    };
    fs.writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(repoRoot, outFile)}`);
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
