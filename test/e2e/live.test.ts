// E2E for the live daemon (`georep start` / `georep stop`): real trees, real watcher, real
// rsync, real processes. The slave must become equal to the master within seconds of each
// change, renames must move slave files (same inode), and no process may outlive `stop`.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, runGeorep } from '../support/cli.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';
import type { CompareOptions, Difference } from '../support/tree-compare.js';

/** How long the slave may take to catch up with one round of changes in these tests. */
const CONVERGE_MS = 20_000;
const POLL_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) is not running.
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Waits until the slave equals the master; returns ms taken or throws with the differences. */
async function converge(master: string, slave: string, opts: CompareOptions = {}, limitMs = CONVERGE_MS) {
  const start = Date.now();
  // The slave root appears once the worker's agent has started.
  const compare = (): Difference[] => {
    try {
      return compareTrees(master, slave, opts);
    } catch (e) {
      // The slave (or master) changed under the comparison: not settled yet.
      return [{ path: '.', what: 'missing', master, slave: String(e) }];
    }
  };
  let diffs = compare();
  while (diffs.length > 0 && Date.now() - start < limitMs) {
    await sleep(POLL_MS);
    diffs = compare();
  }
  expect(diffs, `slave not equal after ${limitMs} ms:\n${formatDifferences(diffs)}`).to.deep.equal([]);
  return Date.now() - start;
}

describe('e2e: live daemon (georep start/stop)', function () {
  this.timeout(120_000);
  let tmp: string;
  let work: string;
  let master: string;
  let slave: string;
  let extra: string[];

  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-live-')));
    work = path.join(tmp, 'work');
    master = path.join(tmp, 'master');
    slave = path.join(tmp, 'slave');
    fs.mkdirSync(master);
    extra = [];
  });
  afterEach(async function () {
    const pids = sessionPids();
    if (pids.monitor !== undefined && alive(pids.monitor)) await runGeorep(['stop', master, slave, '--workdir', work]);
    // Anything of ours still running after stop is a test failure below; here it is cleaned up.
    for (const pid of [pids.monitor, ...pids.children])
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    if (process.env['GEOREP_KEEP_TMP'] === '1' && this.currentTest?.state === 'failed') console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });

  function sessionDir(): string {
    const sessions = path.join(work, 'sessions');
    const [name] = fs.readdirSync(sessions);
    if (name === undefined) throw new Error('no session folder');
    return path.join(sessions, name);
  }

  function sessionPids(): { monitor: number | undefined; children: number[] } {
    try {
      const dir = sessionDir();
      const monitor = Number(fs.readFileSync(path.join(dir, 'monitor.pid'), 'utf8').trim());
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
        children: Record<string, number>;
      };
      return { monitor, children: Object.values(state.children) };
    } catch {
      return { monitor: undefined, children: [] };
    }
  }

  async function childPid(name: 'recorder' | 'worker', notPid?: number): Promise<number> {
    const start = Date.now();
    for (;;) {
      try {
        const state = JSON.parse(fs.readFileSync(path.join(sessionDir(), 'monitor.json'), 'utf8')) as {
          children: Record<string, number>;
        };
        const pid = state.children[name];
        if (pid !== undefined && pid !== notPid && alive(pid)) return pid;
      } catch {
        // not written yet
      }
      if (Date.now() - start > CONVERGE_MS) throw new Error(`no running ${name}`);
      await sleep(POLL_MS);
    }
  }

  async function start(): Promise<void> {
    const args = ['start', master, slave, '--workdir', work, ...extra];
    const r = await runGeorep(args);
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
  }

  async function stop(): Promise<void> {
    const before = sessionPids();
    const args = ['stop', master, slave, '--workdir', work];
    const r = await runGeorep(args);
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    for (const pid of [before.monitor, ...before.children]) {
      if (pid !== undefined) expect(alive(pid), `pid ${pid} survived georep stop`).to.equal(false);
    }
  }

  const w = (rel: string, data: string | Buffer = 'x'): void => {
    fs.mkdirSync(path.dirname(path.join(master, rel)), { recursive: true });
    fs.writeFileSync(path.join(master, rel), data);
  };
  const m = (rel: string): string => path.join(master, rel);
  const s = (rel: string): string => path.join(slave, rel);

  it('replicates every kind of change while running, and a rename moves the slave file', async function () {
    w('a/one', 'one');
    w('a/two', 'two');
    w('b/three', 'three');
    await start();
    await converge(master, slave);

    // creates, writes, appends, truncates, chmod, symlinks, hard links, odd names
    w('c/new', 'new');
    fs.appendFileSync(m('a/one'), ' and more');
    fs.truncateSync(m('a/two'), 1);
    fs.chmodSync(m('b/three'), 0o600);
    fs.symlinkSync('../a/one', m('c/link'));
    fs.linkSync(m('a/one'), m('b/one-link'));
    fs.writeFileSync(Buffer.concat([Buffer.from(m('c') + '/'), Buffer.from([0x66, 0xff, 0x0a, 0x6f])]), 'bytes');
    await converge(master, slave);

    // renames: same dir, across dirs, over an existing name, a directory; the slave inode stays
    const inoOf = (p: string): bigint => fs.statSync(p, { bigint: true }).ino;
    const threeIno = inoOf(s('b/three'));
    const dirIno = inoOf(s('c'));
    fs.renameSync(m('b/three'), m('b/THREE'));
    fs.renameSync(m('a/two'), m('b/two'));
    fs.renameSync(m('c'), m('a/c-moved'));
    await converge(master, slave);
    expect(inoOf(s('b/THREE'))).to.equal(threeIno);
    expect(inoOf(s('a/c-moved'))).to.equal(dirIno);

    // a swap through a temporary name, an editor-style save, deletes
    fs.renameSync(m('b/THREE'), m('b/tmp'));
    fs.renameSync(m('b/two'), m('b/THREE'));
    fs.renameSync(m('b/tmp'), m('b/two'));
    fs.writeFileSync(m('a/.one.swp'), 'saved by an editor');
    fs.renameSync(m('a/.one.swp'), m('a/one'));
    fs.rmSync(m('a/c-moved'), { recursive: true });
    fs.unlinkSync(m('b/one-link'));
    await converge(master, slave);
    await stop();
  });

  it('propagates changes made while stopped (renames as moves, deletes) after start', async function () {
    w('keep/file', 'k');
    w('gone/file', 'g');
    w('moving/file', 'm');
    await start();
    await converge(master, slave);
    await stop();
    const ino = fs.statSync(s('moving/file'), { bigint: true }).ino;
    fs.renameSync(m('moving/file'), m('keep/moved'));
    fs.rmSync(m('gone'), { recursive: true });
    w('keep/file', 'rewritten while stopped');
    w('fresh/dir/file', 'f');
    await start();
    await converge(master, slave);
    expect(fs.statSync(s('keep/moved'), { bigint: true }).ino).to.equal(ino);
    await stop();
  });

  it('keeps deleted files on the slave with ignore-deletes', async function () {
    extra = ['--ignore-deletes'];
    w('a/file', 'a');
    w('b/file', 'b');
    await start();
    await converge(master, slave);
    fs.rmSync(m('a/file'));
    w('c/file', 'c');
    const start0 = Date.now();
    while (!fs.existsSync(s('c/file')) && Date.now() - start0 < CONVERGE_MS) await sleep(POLL_MS);
    expect(fs.existsSync(s('c/file'))).to.equal(true);
    expect(fs.readFileSync(s('a/file'), 'utf8')).to.equal('a');
    await stop();
  });

  it('stops with the cause, without a restart loop, when the slave belongs to another master', async function () {
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    const seed = ['sync', '--oneshot', other, slave, '--workdir', path.join(tmp, 'work-other')];
    expect((await runGeorep(seed)).exitCode).to.equal(EXIT.ok);
    w('a/file', 'a');
    const args = ['start', '--foreground', master, slave, '--workdir', work];
    const r = await runGeorep(args, { timeoutMs: 60_000 });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.slave);
    expect(r.stderr, describeRun(args, r)).to.match(/worker stopped for good: .*already bound to master volume/i);
    const state = JSON.parse(fs.readFileSync(path.join(sessionDir(), 'monitor.json'), 'utf8')) as { state: string };
    expect(state.state).to.equal('Faulty');
    expect(r.stderr).to.not.match(/restart/i); // no restart loop (the foreground monitor logs to stderr)
    expect(r.stderr).to.match(/"event":"worker_status","status":"Faulty"/); // the state change, as an event
  });

  it('resumes after a one-shot sync ran between two daemon runs', async function () {
    w('a/one', '1');
    await start();
    await converge(master, slave);
    await stop();
    w('a/two', '2');
    fs.rmSync(m('a/one'));
    const once = ['sync', '--oneshot', master, slave, '--workdir', work];
    const r = await runGeorep(once);
    expect(r.exitCode, describeRun(once, r)).to.equal(EXIT.ok);
    w('b/three', '3');
    fs.renameSync(m('a/two'), m('b/two'));
    await start();
    await converge(master, slave);
    await stop();
  });

  it('recovers from kill -9 of the worker, the recorder and the monitor under load', async function () {
    this.timeout(240_000);
    for (let i = 0; i < 50; i++) w(`d${i % 5}/f${i}`, `v0-${i}`);
    await start();
    await converge(master, slave);
    let round = 0;
    const load = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        round++;
        const i = round % 50;
        const f = `d${i % 5}/f${i}`;
        if (fs.existsSync(m(f))) {
          if (round % 7 === 0) fs.renameSync(m(f), m(`d${(i + 1) % 5}/r${round}`));
          else if (round % 11 === 0) fs.rmSync(m(f));
          else fs.appendFileSync(m(f), `+${round}`);
        } else w(f, `new-${round}`);
        await sleep(5);
      }
    };
    // The slave agent: a child of the worker; the worker fails, the monitor restarts it.
    const worker = await childPid('worker');
    const agent = childrenOf(worker).find((pid) => cmdline(pid).includes('agent-main'));
    expect(agent, 'the worker runs a slave agent').to.be.a('number');
    const loadingA = load(2000);
    await sleep(500);
    process.kill(agent as number, 'SIGKILL');
    await loadingA;
    await converge(master, slave, {}, 60_000);
    for (const victim of ['worker', 'recorder'] as const) {
      const pid = await childPid(victim);
      const loading = load(3000);
      await sleep(1000);
      process.kill(pid, 'SIGKILL');
      await loading;
      await childPid(victim, pid); // restarted by the monitor
      await converge(master, slave, {}, 60_000);
    }
    // The monitor itself: its children notice and stop; georep start brings the session back.
    const before = sessionPids();
    const loading = load(2000);
    await sleep(500);
    if (before.monitor !== undefined) process.kill(before.monitor, 'SIGKILL');
    await loading;
    const deadline = Date.now() + CONVERGE_MS;
    while (before.children.some(alive) && Date.now() < deadline) await sleep(POLL_MS);
    expect(before.children.filter(alive), 'children outlived their monitor').to.deep.equal([]);
    await start();
    await converge(master, slave, {}, 60_000);
    await stop();
  });
});
