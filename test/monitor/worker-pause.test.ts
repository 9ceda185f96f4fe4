// The pause protocol on a real process group: pause stops the worker named in monitor.json with
// SIGSTOP to its group and leaves the marker; resume continues that pid and removes it. Without
// a running daemon or worker, or without a pause, each says so with its code.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writePidFile } from '../../src/monitor/index.js';
import { isPaused, pauseWorker, resumeWorker } from '../../src/monitor/worker-pause.js';
import { DAEMON_FILES } from '../../src/session-files.js';
import { codeOf } from '../support/error-code.js';

/** The process state letter in /proc/PID/stat (S sleeping, T stopped). */
function procState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

/** Waits (a few ms in practice) for a signal to take effect on `pid`. */
async function untilState(pid: number, want: (s: string) => boolean): Promise<string> {
  const deadline = Date.now() + 3000;
  let s = procState(pid);
  while (!want(s) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    s = procState(pid);
  }
  return s;
}

describe('monitor/worker-pause', () => {
  let dir: string;
  let worker: ChildProcess | undefined;
  const names = (): { sessionDir: string; masterRoot: string; slaveRoot: string } => ({
    sessionDir: dir,
    masterRoot: '/m',
    slaveRoot: '/s',
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-pause-'));
  });
  afterEach(() => {
    if (worker?.pid !== undefined) {
      process.kill(-worker.pid, 'SIGCONT');
      process.kill(-worker.pid, 'SIGKILL');
    }
    worker = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops the worker group and continues it', async () => {
    // A stand-in worker leading its own group, as the supervisor starts it; this test process
    // stands in for the live monitor.
    worker = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = worker.pid ?? 0;
    writePidFile(path.join(dir, DAEMON_FILES.pid));
    fs.writeFileSync(
      path.join(dir, DAEMON_FILES.state),
      JSON.stringify({ pid: process.pid, state: 'Active', children: { worker: pid } }),
    );

    pauseWorker(names());
    expect(await untilState(pid, (s) => s === 'T')).to.equal('T');
    expect(isPaused(dir)).to.equal(true);
    expect(fs.readFileSync(path.join(dir, DAEMON_FILES.paused), 'utf8')).to.equal(`${pid}\n`);

    resumeWorker(names());
    expect(await untilState(pid, (s) => s !== 'T')).to.not.equal('T');
    expect(isPaused(dir)).to.equal(false);
  });

  it('refuses a pause with no daemon, or with no worker running', () => {
    expect(codeOf(() => pauseWorker(names()))).to.equal('NOT_RUNNING');
    writePidFile(path.join(dir, DAEMON_FILES.pid));
    expect(codeOf(() => pauseWorker(names()))).to.equal('NOT_RUNNING');
    expect(isPaused(dir)).to.equal(false);
  });

  it('refuses a resume of a session that is not paused', () => {
    expect(codeOf(() => resumeWorker(names()))).to.equal('USAGE');
  });
});
