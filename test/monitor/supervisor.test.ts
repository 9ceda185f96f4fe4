// Supervisor and parent watch against real processes: small .mjs children run with node.
// Each test asserts which pids are gone afterwards; nothing here mocks child_process.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { Supervisor } from '../../src/monitor/index.js';
import type { ChildExit, ChildSpec, SupervisorOptions } from '../../src/monitor/index.js';
import { PARENT_PID_ENV } from '../../src/monitor/parent-watch.js';
import { repoRoot } from '../support/cli.js';
import { codeOf, codeOfAsync } from '../support/error-code.js';

const POLL_MS = 10;
const WAIT_MS = 5_000;
const PERMANENT = 7;
/** A restart wait far longer than the test may take: only cancellation can end it in time. */
const LONG_RESTART_MS = 60_000;
const SRC = (rel: string): string => JSON.stringify(pathToFileURL(path.join(repoRoot, 'src', rel)).href);

/** Child scripts; `$DIR` is the per-test temp folder where they leave pids and markers. */
const SCRIPTS = {
  crash: `setTimeout(() => process.exit(1), 50);`,
  permanent: `setTimeout(() => process.exit(${PERMANENT}), 20);`,
  forever: `setInterval(() => {}, 1000);`,
  ignoreTerm: `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);
fs.writeFileSync(path.join(DIR, 'ready-' + process.pid), '');`,
  // The grandchild stays in this child's process group (no detached), like rsync under a worker.
  grandchild: `const g = spawn('sleep', ['30'], { stdio: 'ignore' });
fs.writeFileSync(path.join(DIR, 'grandchild'), String(g.pid));
if (process.argv[2] === 'exit') setTimeout(() => process.exit(1), 50); else setInterval(() => {}, 1000);`,
  watched: `const { exitWhenParentGone } = await import(${SRC('monitor/index.ts')});
exitWhenParentGone(() => { fs.writeFileSync(path.join(DIR, 'gone'), String(process.pid)); process.exit(0); });
fs.writeFileSync(path.join(DIR, 'watched'), String(process.pid));
setInterval(() => {}, 1000);`,
  watchThenFinish: `const { exitWhenParentGone } = await import(${SRC('monitor/index.ts')});
exitWhenParentGone(() => process.exit(9));`,
  // Malformed messages first, then the one the worker sends after each turn, then a marker.
  messages: `const { sendToMonitor } = await import(${SRC('monitor/index.ts')});
process.send('turn'); process.send({ kind: 'nope' }); process.send({ kind: 'turn', more: 1 }); process.send([]);
sendToMonitor({ kind: 'turn' });
setInterval(() => {}, 1000);`,
  // sendToMonitor with no monitor (no IPC channel): a no-op, not a crash.
  noChannel: `const { sendToMonitor } = await import(${SRC('monitor/index.ts')});
sendToMonitor({ kind: 'turn' }); process.exit(0);`,
  // A "monitor" we can SIGKILL: the real Supervisor keeping one watched child.
  monitor: `const { Supervisor } = await import(${SRC('monitor/index.ts')});
const { systemClock } = await import(${SRC('clock.ts')});
const { silentLogger } = await import(${SRC('log.ts')});
const child = { name: 'w', command: [process.execPath, '--import', 'tsx', path.join(DIR, 'watched.mjs')] };
const opts = { backoff: { initialMs: 50, maxMs: 100, stableMs: 1000 }, permanentExitCodes: new Set(), stopTimeoutMs: 500, clock: systemClock, log: silentLogger() };
await new Supervisor([child], opts).run(new AbortController().signal);`,
} as const;
type Script = keyof typeof SCRIPTS;

const PRELUDE = `import fs from 'node:fs'; import path from 'node:path'; import { spawn } from 'node:child_process';`;

let dir: string;
const started: number[] = [];

function scriptPath(name: Script): string {
  const file = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(file, `${PRELUDE}\nconst DIR = ${JSON.stringify(dir)};\n${SCRIPTS[name]}\n`);
  return file;
}

function child(name: string, script: Script, ...args: string[]): ChildSpec {
  return { name, command: [process.execPath, scriptPath(script), ...args], cwd: repoRoot };
}

/** A child whose script imports georep's TypeScript sources. */
function tsChild(name: string, script: Script): ChildSpec {
  return { name, command: [process.execPath, '--import', 'tsx', scriptPath(script)], cwd: repoRoot };
}

function options(over: Partial<SupervisorOptions> = {}): SupervisorOptions {
  return {
    backoff: { initialMs: 50, maxMs: 200, stableMs: 10_000 },
    permanentExitCodes: new Set([PERMANENT]),
    stopTimeoutMs: 2_000,
    clock: systemClock,
    log: silentLogger(),
    ...over,
  };
}

/** kill(pid, 0), except that a zombie nobody has reaped yet (pid 1 may not) counts as dead. */
function alive(pid: number | undefined): boolean {
  // kill(0, …) or kill(-n, …) would address a whole process group, maybe mocha's own.
  if (pid === undefined || !(pid > 0)) throw new Error(`not a pid: ${pid}`);
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const readPid = (name: string) => (): number | undefined => {
  const file = path.join(dir, name);
  return fs.existsSync(file) && fs.statSync(file).size > 0 ? Number(fs.readFileSync(file, 'utf8')) : undefined;
};

/** Kills what a failed test left running (a passing test leaves nothing alive). */
function cleanUp(groups: boolean): void {
  for (const pid of started.splice(0)) {
    if (alive(pid)) process.kill(groups ? -pid : pid, 'SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function remember(pid: number | undefined): number {
  if (pid === undefined) throw new Error('spawn gave no pid');
  started.push(pid);
  return pid;
}

/** Records events and remembers every pid, so afterEach can kill leftovers of a failed test. */
function recorder() {
  const starts: { name: string; pid: number }[] = [];
  const exits: { exit: ChildExit; restartInMs: number | undefined }[] = [];
  const events = {
    onStart: (name: string, pid: number) => {
      starts.push({ name, pid: remember(pid) });
    },
    onExit: (exit: ChildExit, restartInMs: number | undefined) => exits.push({ exit, restartInMs }),
  };
  return { starts, exits, events };
}

describe('monitor/supervisor', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-sup-'));
  });
  afterEach(() => cleanUp(true));

  it('restarts a crashing child with doubling delays and stops it on abort', async () => {
    const rec = recorder();
    const ac = new AbortController();
    const sup = new Supervisor([child('worker', 'crash')], options(), {
      ...rec.events,
      onExit: (exit, ms) => {
        rec.events.onExit(exit, ms);
        if (rec.exits.length === 3) ac.abort();
      },
    });
    const result = await sup.run(ac.signal);
    expect(result).to.deep.equal({ kind: 'stopped' });
    expect(rec.exits.map((e) => [e.exit.name, e.exit.code, e.exit.signal, e.restartInMs])).to.deep.equal([
      ['worker', 1, null, 50],
      ['worker', 1, null, 100],
      ['worker', 1, null, 200],
    ]);
    expect(rec.starts).to.have.length(3);
    expect(new Set(rec.starts.map((s) => s.pid)).size).to.equal(3);
    expect(rec.exits.map((e) => e.exit.pid)).to.deep.equal(rec.starts.map((s) => s.pid));
    expect(rec.starts.filter((s) => alive(s.pid))).to.deep.equal([]);
    expect(sup.pids.size).to.equal(0);
  });

  it('stops everything and reports a permanent exit code instead of restarting', async () => {
    const rec = recorder();
    const sup = new Supervisor([child('recorder', 'forever'), child('worker', 'permanent')], options(), rec.events);
    const result = await sup.run(new AbortController().signal);
    expect(result.kind).to.equal('permanent');
    const exit = result.kind === 'permanent' ? result.exit : undefined;
    expect(exit).to.include({ name: 'worker', code: PERMANENT, signal: null });
    const other = rec.exits.find((e) => e.exit.name === 'recorder');
    expect(other?.exit.signal).to.equal('SIGTERM');
    expect(rec.exits.map((e) => e.restartInMs)).to.deep.equal([undefined, undefined]);
    expect(rec.starts.filter((s) => alive(s.pid))).to.deep.equal([]);
  });

  it('sends SIGTERM to every child on abort and exposes the live pids until then', async () => {
    const rec = recorder();
    const ac = new AbortController();
    const sup = new Supervisor([child('a', 'forever'), child('b', 'forever')], options(), rec.events);
    const running = sup.run(ac.signal);
    await waitFor('both children', () => (rec.starts.length === 2 ? true : undefined));
    expect(Object.fromEntries(sup.pids)).to.deep.equal(Object.fromEntries(rec.starts.map((s) => [s.name, s.pid])));
    expect(rec.starts.every((s) => alive(s.pid))).to.equal(true);
    const t0 = Date.now();
    ac.abort();
    expect(await running).to.deep.equal({ kind: 'stopped' });
    expect(Date.now() - t0).to.be.below(options().stopTimeoutMs);
    expect(rec.exits.map((e) => e.exit.signal)).to.deep.equal(['SIGTERM', 'SIGTERM']);
    expect(rec.starts.filter((s) => alive(s.pid))).to.deep.equal([]);
    expect(sup.pids.size).to.equal(0);
  });

  it('kills the process group of a child that ignores SIGTERM after stopTimeoutMs', async () => {
    const rec = recorder();
    const ac = new AbortController();
    const stopTimeoutMs = 300;
    const sup = new Supervisor([child('stubborn', 'ignoreTerm')], options({ stopTimeoutMs }), rec.events);
    const running = sup.run(ac.signal);
    const pid = await waitFor('the child', () => rec.starts[0]?.pid);
    await waitFor('its SIGTERM handler', () => (fs.existsSync(path.join(dir, `ready-${pid}`)) ? true : undefined));
    const t0 = Date.now();
    ac.abort();
    expect(await running).to.deep.equal({ kind: 'stopped' });
    expect(Date.now() - t0).to.be.at.least(stopTimeoutMs);
    expect(rec.exits[0]?.exit).to.include({ pid, code: null, signal: 'SIGKILL' });
    expect(alive(pid)).to.equal(false);
  });

  it("stops a child's grandchildren with it (they share its process group)", async () => {
    const rec = recorder();
    const ac = new AbortController();
    const running = new Supervisor([child('worker', 'grandchild')], options(), rec.events).run(ac.signal);
    const grandchild = await waitFor('the grandchild', readPid('grandchild'));
    expect(alive(grandchild)).to.equal(true);
    ac.abort();
    expect(await running).to.deep.equal({ kind: 'stopped' });
    await waitFor('the grandchild to die', () => (alive(grandchild) ? undefined : true), 1_000);
  });

  it('kills what a crashed child left in its group before restarting it', async () => {
    const rec = recorder();
    const ac = new AbortController();
    const sup = new Supervisor([child('worker', 'grandchild', 'exit')], options(), {
      ...rec.events,
      onExit: (exit, ms) => {
        rec.events.onExit(exit, ms);
        ac.abort();
      },
    });
    const result = await sup.run(ac.signal);
    expect(result).to.deep.equal({ kind: 'stopped' });
    expect(rec.exits[0]?.exit.code).to.equal(1);
    const grandchild = readPid('grandchild')();
    expect(grandchild).to.be.a('number');
    await waitFor('the orphaned grandchild to die', () => (alive(grandchild) ? undefined : true), 1_000);
  });

  it('cancels a pending restart wait on abort', async () => {
    const rec = recorder();
    const ac = new AbortController();
    const backoff = { initialMs: LONG_RESTART_MS, maxMs: LONG_RESTART_MS, stableMs: LONG_RESTART_MS };
    const sup = new Supervisor([child('worker', 'crash')], options({ backoff }), {
      ...rec.events,
      onExit: (exit, ms) => {
        rec.events.onExit(exit, ms);
        setTimeout(() => ac.abort(), POLL_MS);
      },
    });
    const t0 = Date.now();
    expect(await sup.run(ac.signal)).to.deep.equal({ kind: 'stopped' });
    expect(Date.now() - t0).to.be.below(WAIT_MS);
    expect(rec.exits.map((e) => e.restartInMs)).to.deep.equal([LONG_RESTART_MS]);
    expect(rec.starts).to.have.length(1);
  });

  it('starts nothing when the signal is already aborted', async () => {
    const rec = recorder();
    const sup = new Supervisor([child('worker', 'forever')], options(), rec.events);
    expect(await sup.run(AbortSignal.abort())).to.deep.equal({ kind: 'stopped' });
    expect(rec.starts).to.deep.equal([]);
  });

  it('rejects with IO_ERROR when a child cannot be spawned, after stopping the others', async () => {
    const rec = recorder();
    const missing: ChildSpec = { name: 'ghost', command: [path.join(dir, 'no-such-binary')] };
    const sup = new Supervisor([child('recorder', 'forever'), missing], options(), rec.events);
    expect(await codeOfAsync(sup.run(new AbortController().signal))).to.equal('IO_ERROR');
    expect(rec.starts.map((s) => s.name)).to.deep.equal(['recorder']);
    expect(alive(rec.starts[0]?.pid)).to.equal(false);
  });

  it('stops the child it just started when an event callback throws, and rejects with that error', async () => {
    const pids: number[] = [];
    const boom = new Error('callback bug');
    const sup = new Supervisor([child('worker', 'forever')], options(), {
      onStart: (_name, pid) => {
        pids.push(remember(pid));
        throw boom;
      },
    });
    let caught: unknown;
    await sup.run(new AbortController().signal).catch((e: unknown) => (caught = e));
    expect(caught).to.equal(boom);
    expect(pids).to.have.length(1);
    expect(alive(pids[0])).to.equal(false);
  });

  it("hands a child's well-formed messages to onMessage and drops malformed ones", async () => {
    const rec = recorder();
    const ac = new AbortController();
    const got: { name: string; message: unknown }[] = [];
    const sup = new Supervisor([tsChild('worker', 'messages')], options(), {
      ...rec.events,
      onMessage: (name, message) => {
        got.push({ name, message });
        ac.abort();
      },
    });
    expect(await sup.run(ac.signal)).to.deep.equal({ kind: 'stopped' });
    expect(got).to.deep.equal([{ name: 'worker', message: { kind: 'turn' } }]);
    expect(rec.starts.filter((s) => alive(s.pid))).to.deep.equal([]);
  });

  it('stops the children and rejects with the error when onMessage throws', async () => {
    const rec = recorder();
    const boom = new Error('message callback bug');
    const sup = new Supervisor([tsChild('worker', 'messages')], options(), {
      ...rec.events,
      onMessage: () => {
        throw boom;
      },
    });
    let caught: unknown;
    await sup.run(new AbortController().signal).catch((e: unknown) => (caught = e));
    expect(caught).to.equal(boom);
    expect(rec.starts).to.have.length(1);
    expect(rec.starts.filter((s) => alive(s.pid))).to.deep.equal([]);
  });

  it('refuses duplicate names, an empty command and a bad backoff', () => {
    const a = child('a', 'forever');
    expect(codeOf(() => new Supervisor([a, a], options()))).to.equal('CONFIG_INVALID');
    expect(codeOf(() => new Supervisor([{ name: 'x', command: [] }], options()))).to.equal('CONFIG_INVALID');
    const backoff = { initialMs: 100, maxMs: 50, stableMs: 0 };
    expect(codeOf(() => new Supervisor([a], options({ backoff })))).to.equal('CONFIG_INVALID');
  });
});

describe('monitor/parent-watch', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-pw-'));
  });
  afterEach(() => cleanUp(false));

  it('makes a supervised child exit when its monitor is SIGKILLed', async () => {
    scriptPath('watched');
    const monitor = spawn(process.execPath, ['--import', 'tsx', scriptPath('monitor')], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    remember(monitor.pid);
    const monitorGone = new Promise((resolve) => monitor.once('exit', resolve));
    const watched = await waitFor('the watched child', readPid('watched'));
    remember(watched);
    expect(alive(watched)).to.equal(true);
    monitor.kill('SIGKILL');
    await monitorGone;
    await waitFor('the orphaned child to exit', () => (alive(watched) ? undefined : true));
    expect(readPid('gone')()).to.equal(watched); // it left through onGone, not by accident
  });

  it('makes a child of bin/georep exit when the launcher died before the child looked (GEOREP_PARENT_PID)', async () => {
    // The launcher SIGKILLed early: the sync, reparented already, must not take that for "no launcher".
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const c = spawn(process.execPath, ['--import', 'tsx', scriptPath('watched')], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, [PARENT_PID_ENV]: String(dead.pid) },
    });
    remember(c.pid);
    const code = await new Promise((resolve) => c.once('exit', resolve));
    expect(code).to.equal(0);
    expect(readPid('gone')()).to.equal(c.pid); // it left through onGone
  });

  it('sends nothing, and does not fail, in a process without a monitor', async () => {
    const c = spawn(process.execPath, ['--import', 'tsx', scriptPath('noChannel')], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    remember(c.pid);
    const code = await new Promise((resolve) => c.once('exit', resolve));
    expect(code).to.equal(0);
  });

  it('does not keep a child alive that has finished its work', async () => {
    const c = spawn(process.execPath, ['--import', 'tsx', scriptPath('watchThenFinish')], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    remember(c.pid);
    const code = await new Promise((resolve) => c.once('exit', resolve));
    expect(code).to.equal(0);
  });
});
