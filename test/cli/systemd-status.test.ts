// The state line `systemctl status georep@NAME` shows: built from georep status's view,
// sent through systemd-notify only when it changed, and sent by a real session daemon started
// the way the unit starts it (NOTIFY_SOCKET set; a recording systemd-notify on PATH).

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildStatus } from '../../src/master/session-status.js';
import type { SessionStatus } from '../../src/master/session-status.js';
import { SystemdStatusReporter, statusLine, systemdNotify } from '../../src/cli/systemd-status.js';
import { silentLogger } from '../../src/log.js';
import { describeRun, runGeorep } from '../support/cli.js';
import { ManualClock } from '../support/manual-clock.js';

function status(over: Partial<SessionStatus>): SessionStatus {
  const base = buildStatus({
    master: '/m',
    slave: '/s',
    workerStatus: 'Active',
    stats: undefined,
    stimeMs: undefined,
    checkpoint: undefined,
    backlog: { files: 0, bytes: 0 },
    startedMs: undefined,
    fault: undefined,
    nowMs: 0,
  });
  return { ...base, ...over };
}

/** A systemd-notify stand-in that appends its arguments (one per line) to `log`. */
function fakeNotify(dir: string, log: string): string {
  const file = path.join(dir, 'systemd-notify');
  fs.writeFileSync(file, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done\n`, { mode: 0o755 });
  return file;
}

describe('cli/systemd-status', function () {
  this.timeout(90_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-sdstatus-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('puts state, crawl, sync time, backlog, failures, checkpoint and fault on one line', () => {
    expect(statusLine(status({ crawl_status: 'Changelog Crawl', last_synced: '2026-12-06T12:00:00Z' }))).to.equal(
      'Active, Changelog Crawl, last synced 2026-12-06T12:00:00Z',
    );
    const line = statusLine(
      status({
        worker_status: 'Faulty',
        backlog_changelogs: 3,
        failures: 2,
        drift: 4,
        audit_time: '2026-12-06T11:00:00.000Z',
        checkpoint_time: '2026-12-06T12:00:00Z',
        checkpoint_completed: false,
        fault: 'agent died\nagain',
      }),
    );
    expect(line).to.equal(
      'Faulty, last synced never, backlog 3 changelogs, 2 failures (georep failures), ' +
        'drift 4 at the audit of 2026-12-06T11:00:00.000Z, ' +
        'checkpoint 2026-12-06T12:00:00Z not reached yet, Faulty: agent died again',
    );
  });

  it('sends a line only when it changed, and gives up quietly when systemd-notify fails', async () => {
    const seen: SessionStatus[] = [status({}), status({}), status({ worker_status: 'Faulty', fault: 'x' })];
    const sent: string[] = [];
    const reporter = new SystemdStatusReporter(tmp, {
      clock: new ManualClock(),
      log: silentLogger(),
      notify: (l) => {
        sent.push(l);
        return Promise.resolve();
      },
      read: () => Promise.resolve(seen.shift()),
    });
    for (let i = 0; i < 4; i++) await reporter.tick();
    expect(sent).to.deep.equal(['Active, last synced never', 'Faulty, last synced never, Faulty: x']);

    let calls = 0;
    const broken = new SystemdStatusReporter(tmp, {
      clock: new ManualClock(),
      log: silentLogger(),
      notify: () => {
        calls++;
        return Promise.reject(new Error('ENOENT systemd-notify'));
      },
      read: () => Promise.resolve(status({ failures: calls })),
    });
    for (let i = 0; i < 3; i++) expect(await broken.tick()).to.equal(undefined);
    expect(calls).to.equal(1);
  });

  it('runs systemd-notify --status=LINE', async () => {
    const log = path.join(tmp, 'notify.log');
    await systemdNotify([fakeNotify(tmp, log)])('Active, last synced never');
    expect(fs.readFileSync(log, 'utf8')).to.equal('--status=Active, last synced never\n');
  });

  it('a session daemon under systemd (NOTIFY_SOCKET set) reports its state line', async () => {
    const master = path.join(tmp, 'm');
    const slave = path.join(tmp, 's');
    const workdir = path.join(tmp, 'w');
    fs.mkdirSync(master);
    fs.writeFileSync(path.join(master, 'f'), 'x');
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    const log = path.join(tmp, 'notify.log');
    fakeNotify(bin, log);
    const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, NOTIFY_SOCKET: '/run/systemd/notify' };
    const start = ['start', master, slave, '--workdir', workdir];
    const r = await runGeorep(start, { env }); // detached: its monitor runs on with this environment
    expect(r.exitCode, describeRun(start, r)).to.equal(0);
    try {
      const deadline = Date.now() + 60_000;
      const lines = (): string[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trimEnd().split('\n') : []);
      while (!lines().some((l) => l.startsWith('--status=Active')) && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(
        lines().find((l) => l.startsWith('--status=Active')),
        lines().join('\n'),
      ).to.match(/^--status=Active, \S.*, last synced \d{4}-/);
    } finally {
      const stop = await runGeorep(['stop', master, slave, '--workdir', workdir]);
      expect(stop.exitCode, describeRun(['stop'], stop)).to.equal(0);
    }
  });
});
