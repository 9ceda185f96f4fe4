// E2E for Faulty (README, `georep status`): a live session whose worker keeps dying for a real
// reason is Faulty in `georep status` and in monitor.json, with the worker's last error and the
// restart count, while the monitor keeps restarting it; once the reason goes, the next
// completed turn makes it Active again. Real processes, real rsync; chattr needs root.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { ensureSessionDir } from '../../src/cli/workdir.js';
import type { SessionStatus } from '../../src/master/session-status.js';
import { alive } from '../support/live-session.js';
import { sessionFixture } from '../support/session-fixture.js';
import { compareTrees } from '../support/tree-compare.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const WAIT_MS = 45_000;

interface MonitorJson {
  readonly state: string;
  readonly cause?: string;
  readonly restarts?: number;
  readonly children: Record<string, number>;
}

describe('e2e: Faulty (a worker that keeps exiting without completing a turn)', function () {
  this.timeout(120_000);
  let locked: string | undefined;
  // The session is stopped if its monitor runs, and whatever of it is left is ended by pid.
  const s = sessionFixture({
    prefix: 'georep-faulty-',
    cleanup: async () => {
      if (locked !== undefined) execFileSync('chattr', ['-i', locked]);
      const monitor = monitorPid();
      const children = Object.values(readMonitor()?.children ?? {});
      if (monitor !== undefined && alive(monitor)) await s.run(['stop', s.master, s.slave]);
      for (const pid of [monitor, ...children]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    },
  });
  beforeEach(() => {
    fs.mkdirSync(s.master);
    fs.writeFileSync(path.join(s.master, 'file'), 'data');
    locked = undefined;
  });

  function sessionDir(): string {
    const [name] = fs.readdirSync(path.join(s.work, 'sessions'));
    if (name === undefined) throw new Error('no session folder');
    return path.join(s.work, 'sessions', name);
  }
  function readMonitor(): MonitorJson | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(sessionDir(), 'monitor.json'), 'utf8')) as MonitorJson;
    } catch {
      return undefined;
    }
  }
  function monitorPid(): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(sessionDir(), 'monitor.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }
  const geo = async (...args: string[]): Promise<string> => (await s.expectExit(EXIT.ok, args)).stdout;
  const status = async (): Promise<SessionStatus> =>
    JSON.parse(await geo('status', s.master, s.slave, '--json')) as SessionStatus;
  const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + WAIT_MS;
    let last: unknown;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      last = readMonitor();
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; monitor.json: ${JSON.stringify(last)}`);
      await sleep(200);
    }
  };

  it('is Faulty with the cause and the restart count while the worker keeps dying, and Active after the next turn', async () => {
    // The real reason: the worker cannot reset its crawl folder (xsync/) in the session folder,
    // as on a filesystem gone read-only; every worker start fails there, after the slave hello.
    // The session folder is made first, as georep config or start would make it.
    locked = path.join(ensureSessionDir(s.work, s.master, s.slave), 'xsync');
    fs.mkdirSync(locked, { mode: 0o700 });
    execFileSync('chattr', ['+i', locked]);
    await geo('start', s.master, s.slave, '--restart-backoff-max', '1');

    // monitor.json first (cheap to poll), then what georep status makes of it.
    await until('Faulty in monitor.json', () => Promise.resolve(readMonitor()?.state === 'Faulty' ? true : undefined));
    const faulty = await until('Faulty in georep status', async () => {
      const st = await status();
      return st.worker_status === 'Faulty' ? st : undefined;
    });
    expect(faulty.restarts).to.be.a('number').and.to.be.at.least(3);
    expect(faulty.fault).to.match(/EPERM.*xsync/);
    expect(faulty.fault).to.match(/\d+ worker exits in a row without a completed turn/);
    const mon = readMonitor();
    expect(mon?.state).to.equal('Faulty');
    expect(mon?.restarts).to.be.at.least(3);
    expect(mon?.cause).to.match(/^EPERM: operation not permitted, rmdir .*xsync/);
    const monitor = monitorPid();
    expect(monitor !== undefined && alive(monitor), 'the monitor keeps restarting the worker').to.equal(true);
    const table = await geo('status', s.master, s.slave, '--detail');
    expect(table).to.match(/\sFaulty\s/);
    expect(table).to.match(/: Faulty: EPERM.*worker exits in a row/);
    const log = fs.readFileSync(path.join(sessionDir(), 'georep.log'), 'utf8');
    expect(log).to.match(/"event":"worker_status","status":"Faulty"/);

    // The reason goes: the next worker completes its crawl and turns, and the session is Active.
    execFileSync('chattr', ['-i', locked]);
    locked = undefined;
    await until('Active in monitor.json', () => Promise.resolve(readMonitor()?.state === 'Active' ? true : undefined));
    const active = await until('Active again', async () => {
      const st = await status();
      return st.worker_status === 'Active' && readMonitor()?.state === 'Active' ? st : undefined;
    });
    expect([active.fault, active.restarts]).to.deep.equal([null, 0]);
    expect(readMonitor()?.restarts).to.equal(0);
    expect(readMonitor()?.cause).to.equal(undefined);
    expect(compareTrees(s.master, s.slave)).to.deep.equal([]);
    expect(fs.readFileSync(path.join(sessionDir(), 'georep.log'), 'utf8')).to.match(
      /"event":"worker_status","status":"Active","restarts":\d+/,
    );
  });
});
