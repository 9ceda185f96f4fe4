// Benchmark of georep against a remote slave over real ssh, on a link shaped with tc tbf, in
// the same run as rsync over the same ssh (issue 14). The slave host is a network namespace
// with its own sshd (test/support/ssh-host.ts). Scenarios:
//   s1     first sync into an empty slave: rsync -a -e ssh, rsync -az -e ssh, georep (default
//          compress), and the link's floor (file bytes ÷ shaped rate)
//   rerun  one-shot re-run on the unchanged tree against rsync -a -e ssh --delete
//   s2     live lag: one change until the slave has it; a burst of mixed changes until all are there
//   s3a    link outage: the link down for BENCH_OUTAGE_S while 1 % of the files change; from the
//          link coming back to the slave equal, against an rsync -a -e ssh --delete re-run
//   s3b    daemon restart after 1 % changed while stopped, against the same rsync re-run
// Every georep time is confirmed by an independent walk (compareTrees) before it is reported;
// a scenario that does not converge is reported FAILED, not as a time. Medians, and ratios
// against rsync measured in the same run: these machines are noisy.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../test/support/cli.js';
import { startSshHost } from '../test/support/ssh-host.js';
import type { SshHost } from '../test/support/ssh-host.js';
import { SeededRandom } from '../test/support/tree-bytes.js';
import { buildBulkTree } from '../test/support/tree-builder.js';
import { compareTrees, formatDifferences } from '../test/support/tree-compare.js';
import { envBytes, envInt } from './env.js';
import { georepCommand } from './georep-command.js';
import { timed } from './measure.js';
import { median } from './report.js';

/** node, BENCH_NODE_ARGS and the built CLI (georep-command.ts). */
const GEOREP = georepCommand(path.join(repoRoot, 'dist', 'cli', 'main.js'));
const SCENARIOS = ['s1', 'rerun', 's2', 's3a', 's3b'] as const;
type ScenarioKey = (typeof SCENARIOS)[number];

interface Params {
  readonly files: number;
  readonly bytes: number;
  readonly rounds: number;
  readonly seed: number;
  readonly rates: readonly string[];
  readonly scenarios: readonly ScenarioKey[];
  readonly lagSamples: number;
  readonly burstOps: number;
  readonly outageS: number;
}

function readParams(): Params {
  const list = (name: string, fallback: string): string[] =>
    (process.env[name] ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const scenarios = list('BENCH_SCENARIOS', SCENARIOS.join(','));
  for (const s of scenarios)
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`BENCH_SCENARIOS: unknown scenario ${s}`);
  return {
    files: envInt('BENCH_FILES', 50_000),
    bytes: envBytes('BENCH_BYTES', 1024 ** 3),
    rounds: envInt('BENCH_ROUNDS', 3),
    seed: envInt('BENCH_SEED', 42),
    rates: list('BENCH_RATES', '1gbit,100mbit'),
    scenarios: scenarios as ScenarioKey[],
    lagSamples: envInt('BENCH_LAG_SAMPLES', 10),
    burstOps: envInt('BENCH_BURST_OPS', 500),
    outageS: envInt('BENCH_OUTAGE_S', 60),
  };
}

class BenchFailure extends Error {}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Bits per second of a tc rate such as 100mbit or 1gbit. */
function bitsPerSecond(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|m|g)?bit$/i.exec(rate);
  if (m === null) throw new Error(`BENCH_RATES: ${rate} is not a tc rate like 100mbit`);
  return Number(m[1]) * { '': 1, k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
}

interface Row {
  scenario: string;
  tool: string;
  values: number[];
  note?: string;
}

class Bench {
  readonly rows: Row[] = [];
  readonly failed: string[] = [];

  constructor(
    readonly p: Params,
    readonly host: SshHost,
    readonly base: string,
    readonly master: string,
  ) {}

  private workdirs = 0;

  /** A fresh georep session to `root` on the slave host: key pinned, identity and remote command set. */
  async session(root: string, extra: Record<string, string> = {}): Promise<{ slave: string; work: string }> {
    const work = path.join(this.base, `work-${this.workdirs++}`);
    const slave = `ssh://${this.host.user}@${this.host.address}:${this.host.port}${root}`;
    await this.georep(['ssh-setup', this.master, slave, '--accept-host-key', this.host.fingerprint], work);
    const values = {
      'ssh-identity': this.host.keyFile,
      'remote-georep': GEOREP.join(' '),
      // BENCH_LOG_LEVEL=debug: each step of a slow scenario in the kept sessions' logs.
      ...(process.env.BENCH_LOG_LEVEL === undefined ? {} : { 'log-level': process.env.BENCH_LOG_LEVEL }),
      ...extra,
    };
    for (const [k, v] of Object.entries(values)) await this.georep(['config', this.master, slave, k, v], work);
    return { slave, work };
  }

  async georep(args: readonly string[], work: string): Promise<number> {
    const [file, ...pre] = GEOREP;
    const s = await timed(file as string, [...pre, ...args, '--workdir', work], { gnuTime: false });
    // BENCH_KEEP=1: each command's log (stderr) beside its session, for a timeline.
    if (process.env.BENCH_KEEP === '1')
      fs.appendFileSync(path.join(work, 'commands.log'), `$ georep ${args.join(' ')}\n${s.stderr}\n`);
    if (s.exitCode !== 0)
      throw new BenchFailure(`georep ${args.join(' ')} exited ${s.exitCode}:\n${s.stderr.slice(-2000)}`);
    return s.wallS;
  }

  rsyncSsh(): string {
    return `ssh -i ${this.host.keyFile} -p ${this.host.port} -oBatchMode=yes -oStrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null -oLogLevel=ERROR`;
  }

  async rsync(flags: readonly string[], root: string): Promise<number> {
    const s = await timed(
      'rsync',
      [...flags, '-e', this.rsyncSsh(), `${this.master}/`, `${this.host.user}@${this.host.address}:${root}/`],
      { gnuTime: false },
    );
    if (s.exitCode !== 0)
      throw new BenchFailure(`rsync ${flags.join(' ')} exited ${s.exitCode}: ${s.stderr.slice(-800)}`);
    return s.wallS;
  }

  /**
   * Waits until `root` equals the master by an independent walk; ms from `t0`, or undefined.
   * Equality is when a walk without content (sizes, mtimes to the ns, modes, links: about a
   * second at 50k files) first saw the trees equal, confirmed by a full walk with content right
   * after; a full walk alone hashes both trees (tens of seconds at 1 GiB on a busy host) and
   * quantised every catch-up time to its length. The time reported is the slave's last change
   * before that (lastChangeMs), not when the poll happened to notice.
   */
  async converge(root: string, t0: number, limitMs: number): Promise<number | undefined> {
    const walk = (content: boolean): ReturnType<typeof compareTrees> => {
      try {
        return compareTrees(this.master, root, { content });
      } catch {
        return [{ path: '.', what: 'missing', master: '', slave: '' }];
      }
    };
    const wallT0Ms = Date.now() - (nowMs() - t0);
    for (;;) {
      let diffs = walk(false);
      if (diffs.length === 0) {
        const seenMs = nowMs() - t0;
        diffs = walk(true);
        if (diffs.length === 0) return Math.max(0, Math.min(seenMs, lastChangeMs(root) - wallT0Ms));
      }
      if (nowMs() - t0 > limitMs) {
        this.failed.push(formatDifferences(diffs, 5));
        return undefined;
      }
      await sleep(100);
    }
  }

  add(scenario: string, tool: string, value: number | undefined, note?: string): void {
    let row = this.rows.find((r) => r.scenario === scenario && r.tool === tool);
    if (row === undefined) {
      row = { scenario, tool, values: [], ...(note === undefined ? {} : { note }) };
      this.rows.push(row);
    }
    if (value === undefined) {
      row.note = 'FAILED: did not converge';
      this.failed.push(`${scenario} / ${tool}`);
    } else row.values.push(value);
  }

  verify(root: string, what: string): void {
    const diffs = compareTrees(this.master, root);
    if (diffs.length > 0)
      throw new BenchFailure(`${what}: the slave differs from the master:\n${formatDifferences(diffs)}`);
  }
}

/**
 * The wall-clock ms of the slave's last change: the newest ctime of any entry under `root` (the
 * kernel sets it at every write, chmod, rename, link, and on a directory when an entry in it
 * comes or goes), the root's own included, its .georep folder left out. Once a later walk saw
 * the trees equal, the slave has been equal since then: nothing changed between the two. So a
 * catch-up time is not stretched by the poll's own walk (a second or more at 50k files).
 */
function lastChangeMs(root: string): number {
  let newest = fs.lstatSync(root, { bigint: true }).ctimeNs;
  const walk = (dir: string, top: boolean): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (top && e.name === '.georep') continue;
      const p = path.join(dir, e.name);
      const ctime = fs.lstatSync(p, { bigint: true }).ctimeNs;
      if (ctime > newest) newest = ctime;
      if (e.isDirectory()) walk(p, false);
    }
  };
  walk(root, true);
  return Number(newest / 1_000_000n);
}

/** Changes 1 % of the files (append), deterministically; returns how many. */
function changeOnePercent(master: string, rnd: SeededRandom): number {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(master);
  const n = Math.max(1, Math.floor(files.length / 100));
  for (let i = 0; i < n; i++) fs.appendFileSync(files[rnd.int(files.length)] as string, `change ${i}\n`);
  return n;
}

async function s1AndRerun(b: Bench, rate: string, treeBytes: number): Promise<void> {
  const { p, host } = b;
  const floorS = (treeBytes * 8) / bitsPerSecond(rate);
  for (let round = 0; round < p.rounds; round++) {
    const dirs = { a: path.join(b.base, `rs-${rate}-${round}`), z: path.join(b.base, `rsz-${rate}-${round}`) };
    const geoRoot = path.join(b.base, `geo-${rate}-${round}`);
    const s = await b.session(geoRoot);
    console.log(`  ${rate} round ${round + 1}: first sync`);
    const order = round % 2 === 0 ? ['rsync', 'georep'] : ['georep', 'rsync'];
    for (const tool of order) {
      execFileSync('sync');
      if (tool === 'rsync') {
        b.add(`S1 first sync @${rate}`, 'rsync -a -e ssh', await b.rsync(['-a'], dirs.a));
        b.add(`S1 first sync @${rate}`, 'rsync -az -e ssh', await b.rsync(['-az'], dirs.z));
      } else {
        b.add(`S1 first sync @${rate}`, 'georep', await b.georep(['sync', '--oneshot', b.master, s.slave], s.work));
        b.verify(geoRoot, `first sync @${rate}`);
      }
    }
    b.add(`S1 first sync @${rate}`, `link floor (${(treeBytes / 1024 ** 2).toFixed(0)} MiB)`, floorS);
    if (p.scenarios.includes('rerun')) {
      b.add(`re-run unchanged @${rate}`, 'rsync -a -e ssh --delete', await b.rsync(['-a', '--delete'], dirs.a));
      b.add(`re-run unchanged @${rate}`, 'georep', await b.georep(['sync', '--oneshot', b.master, s.slave], s.work));
      b.verify(geoRoot, `re-run @${rate}`);
    }
    // The slaves go (the disk would fill); with BENCH_KEEP=1 the session folders and logs stay.
    for (const d of [dirs.a, dirs.z, geoRoot]) fs.rmSync(d, { recursive: true, force: true });
    if (process.env.BENCH_KEEP !== '1') fs.rmSync(s.work, { recursive: true, force: true });
    void host;
  }
}

async function live(b: Bench, rate: string): Promise<void> {
  const { p, host } = b;
  const rnd = new SeededRandom(p.seed + 7);
  const root = path.join(b.base, `live-${rate}`);
  const rsCopy = path.join(b.base, `live-rsync-${rate}`);
  const s = await b.session(root, { 'restart-backoff': '1', 'restart-backoff-max': '2', 'slave-timeout': '10' });
  await b.rsync(['-a'], rsCopy);
  let t0 = nowMs();
  await b.georep(['start', b.master, s.slave], s.work);
  const first = await b.converge(root, t0, 60 * 60_000);
  b.add(`live first sync @${rate}`, 'georep start (seed off)', first === undefined ? undefined : first / 1000);
  try {
    if (p.scenarios.includes('s2')) {
      await sleep(2000);
      for (let i = 0; i < p.lagSamples; i++) {
        const rel = `lag-${rate}-${i}`;
        t0 = nowMs();
        fs.writeFileSync(path.join(b.master, rel), `lag sample ${i}\n`);
        const target = path.join(root, rel);
        while (!(fs.existsSync(target) && fs.readFileSync(target, 'utf8') === `lag sample ${i}\n`)) {
          if (nowMs() - t0 > 60_000) break;
          await sleep(5);
        }
        b.add(`S2 one change @${rate}`, 'georep', (nowMs() - t0) / 1000);
        await sleep(300);
      }
      const v = await b.converge(root, nowMs(), 60_000);
      if (v === undefined) b.add(`S2 one change @${rate}`, 'georep', undefined);
      t0 = nowMs();
      for (let i = 0; i < p.burstOps; i++) {
        const dir = path.join(b.master, `burst-${rate}`);
        fs.mkdirSync(dir, { recursive: true });
        if (i % 5 === 4) fs.rmSync(path.join(dir, `f${i - 2}`), { force: true });
        else fs.writeFileSync(path.join(dir, `f${i}`), `burst ${i}\n`.repeat(1 + rnd.int(50)));
      }
      const burst = await b.converge(root, t0, 120_000);
      b.add(
        `S2 burst of ${p.burstOps} @${rate}`,
        'georep (from the last change)',
        burst === undefined ? undefined : burst / 1000,
      );
    }
    if (p.scenarios.includes('s3a') && host.netns !== undefined) {
      await b.converge(root, nowMs(), 60_000);
      await b.rsync(['-a', '--delete'], rsCopy);
      host.link(false);
      const n = changeOnePercent(b.master, rnd);
      console.log(`  ${rate}: link down ${p.outageS} s, ${n} files changed`);
      await sleep(p.outageS * 1000);
      host.link(true);
      t0 = nowMs();
      const back = await b.converge(root, t0, 30 * 60_000);
      b.add(
        `S3a outage catch-up @${rate}`,
        'georep (link back -> equal)',
        back === undefined ? undefined : back / 1000,
      );
      b.add(`S3a outage catch-up @${rate}`, 'rsync -a -e ssh --delete', await b.rsync(['-a', '--delete'], rsCopy));
    }
    if (p.scenarios.includes('s3b')) {
      await b.converge(root, nowMs(), 60_000);
      await b.georep(['stop', b.master, s.slave], s.work);
      const n = changeOnePercent(b.master, rnd);
      console.log(`  ${rate}: daemon stopped, ${n} files changed`);
      t0 = nowMs();
      await b.georep(['start', b.master, s.slave], s.work);
      const caught = await b.converge(root, t0, 30 * 60_000);
      b.add(
        `S3b restart catch-up @${rate}`,
        'georep (start -> equal)',
        caught === undefined ? undefined : caught / 1000,
      );
      b.add(`S3b restart catch-up @${rate}`, 'rsync -a -e ssh --delete', await b.rsync(['-a', '--delete'], rsCopy));
    }
  } finally {
    host.link(true);
    await b.georep(['stop', b.master, s.slave], s.work).catch(() => undefined);
  }
}

function report(b: Bench): string {
  const lines = [`medians (s) of ${b.p.rounds} round(s) / samples; ratio = georep ÷ first rsync row of the scenario`];
  const scenarios = [...new Set(b.rows.map((r) => r.scenario))];
  for (const sc of scenarios) {
    const rows = b.rows.filter((r) => r.scenario === sc);
    const ref = rows.find((r) => r.tool.startsWith('rsync'));
    const refMed = ref === undefined ? Number.NaN : median(ref.values);
    for (const r of rows) {
      const med = median(r.values);
      const p95 =
        r.values.length >= 5 ? [...r.values].sort((x, y) => x - y)[Math.ceil(0.95 * r.values.length) - 1] : undefined;
      const ratio = r.tool.startsWith('georep') && Number.isFinite(refMed) ? ` ${(med / refMed).toFixed(2)}×` : '';
      lines.push(
        `${sc.padEnd(30)} ${r.tool.padEnd(30)} ${r.note ?? `${med.toFixed(2)}${p95 === undefined ? '' : ` (p95 ${p95.toFixed(2)})`}${ratio}`}`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const p = readParams();
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-bench-remote-')));
  const master = path.join(base, 'master');
  const host = await startSshHost();
  try {
    if (host.netns === undefined) console.log('note: no network namespace here: no shaping, no outage scenario');
    const tree = buildBulkTree(master, { files: p.files, totalBytes: p.bytes, seed: p.seed });
    console.log(`tree: ${tree.files} files in ${tree.dirs} dirs, ${(tree.bytes / 1024 ** 2).toFixed(0)} MiB`);
    const b = new Bench(p, host, base, master);
    for (const rate of p.rates) {
      if (host.netns !== undefined) host.shape(rate);
      console.log(`link: ${host.netns === undefined ? 'loopback, unshaped' : `tbf ${rate}`}`);
      if (p.scenarios.includes('s1') || p.scenarios.includes('rerun')) await s1AndRerun(b, rate, tree.bytes);
      if (p.scenarios.some((s) => s === 's2' || s === 's3a' || s === 's3b')) await live(b, rate);
    }
    console.log(`\n${report(b)}`);
    const out = path.join(repoRoot, 'bench', 'out');
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, `remote-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({ benchmark: 'remote', date: new Date().toISOString(), params: p, tree, rows: b.rows }, null, 2) +
        '\n',
    );
    console.log(`wrote ${path.relative(repoRoot, file)}`);
    if (b.failed.length > 0) throw new BenchFailure(`did not converge:\n${b.failed.join('\n')}`);
  } finally {
    await host.close();
    // BENCH_KEEP=1 keeps the trees and the sessions' logs, for a timeline of a slow scenario.
    if (process.env.BENCH_KEEP === '1') console.log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(
    `\nBENCHMARK FAILED: ${e instanceof BenchFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exitCode = 1;
}
