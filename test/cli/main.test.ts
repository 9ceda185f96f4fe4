// The georep command as a user runs it (a real subprocess from source): help on every verb,
// the config round trip, and one-line errors with the documented exit codes and no stack.

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes.js';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { execa } from 'execa';
import { describeRun, georepCommand, repoRoot, runGeorep } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';

const STACK_LINE = '    at ';

function expectOneLineError(args: readonly string[], r: RunResult, exitCode: number): void {
  expect(r.exitCode, describeRun(args, r)).to.equal(exitCode);
  expect(r.stderr.trimEnd().split('\n'), describeRun(args, r)).to.have.length(1);
  expect(r.stderr).to.match(/^georep: /);
  expect(r.stderr).to.not.include(STACK_LINE);
}

describe('cli/main (subprocess)', function () {
  this.timeout(60_000);
  let tmp: string;
  let master: string;
  let slave: string;
  let workdir: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-cli-'));
    master = path.join(tmp, 'master');
    slave = path.join(tmp, 'slave');
    workdir = path.join(tmp, 'work');
    fs.mkdirSync(master);
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('prints help with an example for georep and each verb, exit 0', async () => {
    const runs = [['--help'], ['sync', '--help'], ['config', '--help'], ['slave', '--help'], ['help', 'sync']];
    const results = await Promise.all(runs.map((args) => runGeorep(args)));
    results.forEach((r, i) => {
      const args = runs[i] ?? [];
      expect(r.exitCode, describeRun(args, r)).to.equal(0);
      expect(r.stdout, describeRun(args, r)).to.match(/Example/);
    });
    expect(results[0]?.stdout).to.include('Exit codes');
    expect(results[1]?.stdout).to.include('--sync-jobs').and.include('--ignore-deletes');
  });

  it('sets, gets, lists and resets a session value', async () => {
    const base = ['config', master, slave, '--workdir', workdir];
    const set = await runGeorep([...base, 'sync-jobs', '8']);
    expect(set.exitCode, describeRun(base, set)).to.equal(0);
    expect((await runGeorep([...base, 'sync-jobs'])).stdout.trim()).to.equal('8');
    const list = await runGeorep(base);
    expect(list.exitCode).to.equal(0);
    expect(list.stdout)
      .to.match(/^sync-jobs\s+8\s+session/m)
      .and.match(/^crawl-rate\s+0\s+default/m);
    const reset = await runGeorep([...base, '--reset', 'sync-jobs']);
    expect(reset.exitCode, describeRun(base, reset)).to.equal(0);
    expect((await runGeorep([...base, 'sync-jobs'])).stdout.trim()).to.equal('3');
  });

  it('refuses a bad value or unknown key with exit 2 and leaves the session file unchanged', async () => {
    const base = ['config', master, slave, '--workdir', workdir];
    expect((await runGeorep([...base, 'ignore-deletes', 'yes'])).exitCode).to.equal(0);
    const [session] = fs.readdirSync(path.join(workdir, 'sessions'));
    const file = path.join(workdir, 'sessions', session ?? '', 'georep.conf');
    const before = fs.readFileSync(file);
    for (const args of [
      [...base, 'sync-jobs', '1000'],
      [...base, 'sync-method', 'scp'],
      [...base, 'sync-job', '4'],
      [...base, '--reset', 'nope'],
    ]) {
      const r = await runGeorep(args);
      expectOneLineError(args, r, EXIT.usage);
      expect(fs.readFileSync(file).equals(before), 'session file changed').to.equal(true);
    }
  });

  it('reports a hand-edited unknown key in the session file, and --reset removes it', async () => {
    const base = ['config', master, slave, '--workdir', workdir];
    expect((await runGeorep([...base, 'sync-jobs', '2'])).exitCode).to.equal(0);
    const [session] = fs.readdirSync(path.join(workdir, 'sessions'));
    const file = path.join(workdir, 'sessions', session ?? '', 'georep.conf');
    fs.appendFileSync(file, 'sync-jbos=5\n');
    expectOneLineError(base, await runGeorep(base), EXIT.usage);
    expect((await runGeorep([...base, '--reset', 'sync-jbos'])).exitCode).to.equal(0);
    const list = await runGeorep(base);
    expect(list.exitCode, describeRun(base, list)).to.equal(0);
    expect(list.stdout).to.match(/^sync-jobs\s+2\s+session/m);
  });

  it('uses $GEOREP_WORKDIR when --workdir is absent', async () => {
    const r = await runGeorep(['config', master, slave, 'crawl-rate', '50'], { env: { GEOREP_WORKDIR: workdir } });
    expect(r.exitCode, describeRun([], r)).to.equal(0);
    expect(fs.readdirSync(path.join(workdir, 'sessions'))).to.have.length(1);
  });

  it('sync --oneshot with a missing master exits 2 with one line naming the path', async () => {
    const missing = path.join(tmp, 'nonexistent');
    const args = ['sync', '--oneshot', missing, path.join(tmp, 'x'), '--workdir', workdir];
    const r = await runGeorep(args);
    expectOneLineError(args, r, EXIT.usage);
    expect(r.stderr).to.include(missing);
    expect(fs.existsSync(workdir), 'nothing created').to.equal(false);
  });

  it('sync --oneshot /nonexistent /tmp/x exits 2 without a stack trace', async () => {
    const args = ['sync', '--oneshot', '/nonexistent', '/tmp/x', '--workdir', workdir];
    const r = await runGeorep(args);
    expectOneLineError(args, r, EXIT.usage);
    expect(r.stderr).to.include('/nonexistent');
  });

  it('sync without --oneshot, nested roots or a bad flag value exit 2 with one line', async () => {
    for (const args of [
      ['sync', master, slave, '--workdir', workdir],
      ['sync', '--oneshot', master, path.join(master, 'inside'), '--workdir', workdir],
      ['sync', '--oneshot', '--sync-jobs', 'many', master, slave, '--workdir', workdir],
      ['sync', '--oneshot', '--ignore-deletes=maybe', master, slave, '--workdir', workdir],
    ]) {
      expectOneLineError(args, await runGeorep(args), EXIT.usage);
    }
  });

  it("unknown commands and options get commander's message, exit 2, no stack", async () => {
    for (const args of [['frobnicate'], ['sync', '--oneshot', '--bogus', master, slave], ['config']]) {
      const r = await runGeorep(args);
      expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.usage);
      expect(r.stderr).to.match(/error: /);
      expect(r.stderr).to.not.include(STACK_LINE);
    }
  });

  it('a --log-file that cannot be written: exit 2 with one line naming it, before any work (sync, verify)', async () => {
    fs.writeFileSync(path.join(master, 'f'), 'x');
    const notDir = path.join(workdir, 'not-a-dir');
    fs.mkdirSync(workdir, { recursive: true });
    fs.writeFileSync(notDir, '');
    const logFile = path.join(notDir, 'sub', 'log.json');
    for (const verb of ['sync', 'verify']) {
      const args = [verb, ...(verb === 'sync' ? ['--oneshot'] : []), master, slave, '--workdir', workdir];
      const r = await runGeorep([...args, '--log-file', logFile]);
      expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.usage);
      expect(r.stderr.trim()).to.equal(
        `georep: cannot write the log file ${logFile} (ENOTDIR): give --log-file a file you can write`,
      );
    }
    expect(fs.existsSync(slave), 'nothing was replicated').to.equal(false);
  });

  it('prints the version', async () => {
    const r = await runGeorep(['--version']);
    expect(r.exitCode).to.equal(0);
    expect(r.stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
  });

  it('a one-shot sync under a daemon-heap far from the default runs once under it, not in an endless chain of reruns', async () => {
    // The entry reran every uncapped sync under the default (128 MiB), and the sync reran
    // itself under the session's daemon-heap; that process, uncapped by the default's
    // measure, was rerun under the default again, and so on (thousands of processes).
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(master, `f${i}`), `${i}`);
    const base = [master, slave, '--workdir', workdir];
    expect((await runGeorep(['config', ...base, 'daemon-heap', '512'])).exitCode).to.equal(0);
    const { file, args } = georepCommand();
    const r = await execa(file, [...args, 'sync', '--oneshot', ...base], { reject: false, timeout: 30_000 });
    expect(r.timedOut, 'still rerunning after 30 s').to.equal(false);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(slave, 'f7'), 'utf8')).to.equal('7');
  });

  it('a reader that stops reading (| head) gets no stack trace: help exits 0, verify --json stops its walk', async () => {
    const main = path.join(repoRoot, 'dist', 'cli', 'main.js');
    // The read end closed before georep writes: its first write fails with EPIPE.
    const help = execa(main, ['config', '--help'], { reject: false });
    help.stdout?.destroy();
    const h = await help;
    expect(h.stderr, 'help').to.not.include(STACK_LINE);
    expect(h.exitCode, h.stderr).to.equal(0);
    // Output that could not be written for another reason (a full disk) is a failure, said in one line.
    const devFull = fs.openSync('/dev/full', 'w');
    let full: SpawnSyncReturns<string>;
    try {
      full = spawnSync(main, ['config', '--help'], { stdio: ['ignore', devFull, 'pipe'], encoding: 'utf8' });
    } finally {
      fs.closeSync(devFull);
    }
    expect(full.stderr).to.match(/^georep: could not write the output \(ENOSPC\)/);
    expect(full.stderr).to.not.include(STACK_LINE);
    expect(full.status, full.stderr).to.equal(EXIT.syncFailed);

    for (let d = 0; d < 200; d++) {
      fs.mkdirSync(path.join(master, `d${d}`));
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(master, `d${d}`, `f${i}`), '');
    }
    expect((await runGeorep(['sync', '--oneshot', master, slave, '--workdir', workdir])).exitCode).to.equal(0);
    const verify = execa(main, ['verify', '--json', master, slave, '--workdir', workdir], { reject: false });
    verify.stdout?.once('data', () => verify.stdout?.destroy());
    const v = await verify;
    expect(v.stderr, 'verify').to.not.include(STACK_LINE);
    expect(v.stderr).to.match(/^georep: .*closed pipe/m);
    expect(v.exitCode, v.stderr).to.equal(EXIT.interrupted);
  });
});
