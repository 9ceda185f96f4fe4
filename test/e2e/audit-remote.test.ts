// E2E: the scheduled audit of a live session whose slave is on another host over real ssh (a
// network-namespace host with its own sshd, test/support/ssh-host.ts). Each audit opens an
// ssh link and agent of its own beside the worker's and closes them after: the worker's
// replication must go on through its own link (rsync channels included) audit after audit,
// and drift on the remote slave is found and repaired (audit-repair), checked by an
// independent walk.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { SessionStatus } from '../../src/master/session-status.js';
import { describeRun, repoRoot, runGeorep } from '../support/cli.js';
import { logEvents } from '../support/event-log.js';
import { remoteGeorepCommand, slaveAddress, startSshHost } from '../support/ssh-host.js';
import type { SshHost } from '../support/ssh-host.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

const WAIT_MS = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The georep the slave host runs: this checkout (as remote.test.ts). */
const remoteGeorep = (): string => remoteGeorepCommand(repoRoot);

describe('e2e: scheduled audit of a remote slave over ssh', function () {
  this.timeout(240_000);
  let host: SshHost;
  let tmp: string;
  let work: string;
  let master: string;
  let root: string;
  let slave: string;

  before(async function () {
    host = await startSshHost();
  });
  after(async function () {
    await host?.close();
  });
  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-aremote-')));
    work = path.join(tmp, 'work');
    master = path.join(tmp, 'master');
    root = path.join(tmp, 'slave root');
    slave = slaveAddress(host, root);
  });
  afterEach(async function () {
    await runGeorep(['stop', master, slave, '--workdir', work]);
    if (process.env['GEOREP_KEEP_TMP'] === '1' && this.currentTest?.state === 'failed') console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });

  const geo = async (...args: string[]): Promise<string> => {
    const all = [...args, '--workdir', work];
    const r = await runGeorep(all, { timeoutMs: 60_000 });
    expect(r.exitCode, describeRun(all, r)).to.equal(EXIT.ok);
    return r.stdout;
  };
  const status = async (): Promise<SessionStatus> =>
    JSON.parse(await geo('status', master, slave, '--json')) as SessionStatus;
  const same = (): boolean => fs.existsSync(root) && compareTrees(master, root).length === 0;
  const until = async (what: string, ok: () => boolean | Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while (!(await ok())) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}\n${fs.existsSync(root) ? formatDifferences(compareTrees(master, root)) : 'no slave root'}`,
        );
      await sleep(200);
    }
  };

  it('keeps replicating through audits that come and go, and finds and repairs remote drift', async () => {
    for (let d = 0; d < 3; d++) {
      fs.mkdirSync(path.join(master, `d${d}`), { recursive: true });
      for (let f = 0; f < 5; f++) fs.writeFileSync(path.join(master, `d${d}`, `f${f}`), `remote ${d}/${f}\n`);
    }
    await geo('ssh-setup', master, slave, '--accept-host-key', host.fingerprint);
    await geo('config', master, slave, 'ssh-identity', host.keyFile);
    await geo('config', master, slave, 'remote-georep', remoteGeorep());
    await geo('config', master, slave, 'audit-interval', '1');
    await geo('config', master, slave, 'audit-repair', 'true');
    await geo('start', master, slave);
    await until('the first sync', () => same());
    const first = (await status()).audit_time;
    await until('two audits since', async () => {
      const t = (await status()).audit_time;
      return t !== null && t !== first && Date.parse(t) > Date.now() - 500;
    });

    // After audits opened and closed links of their own, the worker's link is whole: its
    // control socket (the first link of the worker process) is still there for rsync channels…
    const workerPid = (
      JSON.parse(
        fs.readFileSync(
          path.join(work, 'sessions', fs.readdirSync(path.join(work, 'sessions'))[0] ?? '', 'monitor.json'),
          'utf8',
        ),
      ) as { children: Record<string, number> }
    ).children['worker'];
    const runtime = `/tmp/georep-${process.getuid?.() ?? 0}`;
    const own = fs.readdirSync(runtime).filter((n) => n.endsWith(`-${String(workerPid)}-1`));
    expect(own, `the worker's ssh folder in ${runtime}`).to.have.length(1);
    expect(fs.existsSync(path.join(runtime, own[0] ?? '', 'cm')), "the worker's control socket").to.equal(true);
    // …and new data still reaches the slave through it.
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(master, `d${i % 3}`, `late${i}`), `late ${i}\n`.repeat(100));
    await until('new files on the remote slave', () => same());

    // Drift on the remote slave: a deleted file and a changed mode. The audit finds and repairs it.
    fs.rmSync(path.join(root, 'd1', 'f2'));
    fs.chmodSync(path.join(root, 'd2', 'f4'), 0o600);
    await until('the drift repaired', () => same());
    const diffs = compareTrees(master, root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
    const logFile = path.join(work, 'sessions', fs.readdirSync(path.join(work, 'sessions'))[0] ?? '', 'georep.log');
    const repaired = logEvents(logFile, 'audit_done').filter((e) => Number(e['repaired'] ?? 0) > 0);
    expect(repaired.length, 'an audit that repaired').to.be.greaterThan(0);
    const drifted = logEvents(logFile, 'audit_drift').map((e) => `${String(e['path'])} ${String(e['verdict'])}`);
    expect(drifted).to.include.members(['d1/f2 missing', 'd2/f4 mode']);
    expect(logEvents(logFile, 'audit_failed'), 'failed audits').to.deep.equal([]);
    expect((await status()).worker_status).to.equal('Active');
  });
});
