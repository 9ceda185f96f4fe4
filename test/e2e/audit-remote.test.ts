// E2E: the scheduled audit of a live session whose slave is on another host over real ssh (a
// network-namespace host with its own sshd, test/support/ssh-host.ts). Each audit opens an
// ssh link and agent of its own beside the worker's and closes them after: the worker's
// replication must go on through its own link (rsync channels included) audit after audit,
// and drift on the remote slave is found and repaired (audit-repair), checked by an
// independent walk.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { SessionStatus } from '../../src/master/session-status.js';
import { logEvents } from '../support/event-log.js';
import { remoteSessionFixture } from '../support/remote-session.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

const WAIT_MS = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('e2e: scheduled audit of a remote slave over ssh', function () {
  this.timeout(240_000);
  const s = remoteSessionFixture({ prefix: 'georep-aremote-', rootName: 'slave root' });

  const geo = async (...args: string[]): Promise<string> =>
    (await s.expectExit(EXIT.ok, args, { timeoutMs: 60_000 })).stdout;
  const status = async (): Promise<SessionStatus> =>
    JSON.parse(await geo('status', s.master, s.slave, '--json')) as SessionStatus;
  const same = (): boolean => fs.existsSync(s.root) && compareTrees(s.master, s.root).length === 0;
  const until = async (what: string, ok: () => boolean | Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while (!(await ok())) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}\n${fs.existsSync(s.root) ? formatDifferences(compareTrees(s.master, s.root)) : 'no slave root'}`,
        );
      await sleep(200);
    }
  };

  it('keeps replicating through audits that come and go, and finds and repairs remote drift', async () => {
    for (let d = 0; d < 3; d++) {
      fs.mkdirSync(path.join(s.master, `d${d}`), { recursive: true });
      for (let f = 0; f < 5; f++) fs.writeFileSync(path.join(s.master, `d${d}`, `f${f}`), `remote ${d}/${f}\n`);
    }
    await s.setUp();
    await geo('config', s.master, s.slave, 'audit-interval', '1');
    await geo('config', s.master, s.slave, 'audit-repair', 'true');
    await geo('start', s.master, s.slave);
    await until('the first sync', () => same());
    const first = (await status()).audit_time;
    // Two audit times other than the first: audits keep coming (judged by what status shows,
    // not by how recent it is, which a loaded host's slow status calls made flaky).
    const seen = new Set<string>();
    await until('two audits since', async () => {
      const t = (await status()).audit_time;
      if (t !== null && t !== first) seen.add(t);
      return seen.size >= 2;
    });

    // After audits opened and closed links of their own, the worker's link is whole: its
    // control socket (the first link of the worker process) is still there for rsync channels…
    const workerPid = (
      JSON.parse(
        fs.readFileSync(
          path.join(s.work, 'sessions', fs.readdirSync(path.join(s.work, 'sessions'))[0] ?? '', 'monitor.json'),
          'utf8',
        ),
      ) as { children: Record<string, number> }
    ).children['worker'];
    const runtime = `/tmp/georep-${process.getuid?.() ?? 0}`;
    const own = fs.readdirSync(runtime).filter((n) => n.endsWith(`-${String(workerPid)}-1`));
    expect(own, `the worker's ssh folder in ${runtime}`).to.have.length(1);
    expect(fs.existsSync(path.join(runtime, own[0] ?? '', 'cm')), "the worker's control socket").to.equal(true);
    // …and new data still reaches the slave through it.
    for (let i = 0; i < 5; i++)
      fs.writeFileSync(path.join(s.master, `d${i % 3}`, `late${i}`), `late ${i}\n`.repeat(100));
    await until('new files on the remote slave', () => same());

    // Drift on the remote slave: a deleted file and a changed mode. The audit finds and repairs it.
    fs.rmSync(path.join(s.root, 'd1', 'f2'));
    fs.chmodSync(path.join(s.root, 'd2', 'f4'), 0o600);
    await until('the drift repaired', () => same());
    const diffs = compareTrees(s.master, s.root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
    const logFile = path.join(s.work, 'sessions', fs.readdirSync(path.join(s.work, 'sessions'))[0] ?? '', 'georep.log');
    const repaired = logEvents(logFile, 'audit_done').filter((e) => Number(e['repaired'] ?? 0) > 0);
    expect(repaired.length, 'an audit that repaired').to.be.greaterThan(0);
    const drifted = logEvents(logFile, 'audit_drift').map((e) => `${String(e['path'])} ${String(e['verdict'])}`);
    expect(drifted).to.include.members(['d1/f2 missing', 'd2/f4 mode']);
    expect(logEvents(logFile, 'audit_failed'), 'failed audits').to.deep.equal([]);
    expect((await status()).worker_status).to.equal('Active');
  });
});
