// E2E for a remote slave over real ssh: a second host (a network namespace with its own sshd,
// made and torn down here; an sshd on loopback where namespaces are not allowed), the host key
// pinned by georep ssh-setup, the agent, rsync and the seed copy over one shared connection.
// The slave is compared with the master by an independent walk, never by georep's word.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, repoRoot, runGeorep } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { remoteGeorepCommand, slaveAddress, startSshHost } from '../support/ssh-host.js';
import type { SshHost } from '../support/ssh-host.js';
import { buildAwkwardTree } from '../support/tree-builder.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

/** The georep the slave host runs: this checkout, from source (words, no spaces inside). */
const remoteGeorep = (): string => remoteGeorepCommand(repoRoot);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pids of processes whose command line mentions `needle` (the run's temp folder). */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe('e2e: remote slave over ssh', function () {
  this.timeout(120_000);
  let host: SshHost;
  let tmp: string;
  let work: string;
  let master: string;
  /** The slave root on the slave host: spaces, quotes, $ and ; (it must never meet a shell unquoted). */
  let root: string;
  let slave: string;

  before(async function () {
    host = await startSshHost();
    console.log(
      `      (slave host: ${host.netns === undefined ? `sshd on loopback port ${host.port}, no namespace` : `namespace ${host.netns} at ${host.address}`})`,
    );
  });
  after(async function () {
    await host?.close();
  });

  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-remote-')));
    work = path.join(tmp, 'work');
    master = path.join(tmp, 'master');
    root = path.join(tmp, `slave it's $HOME;x`);
    slave = slaveAddress(host, root);
  });
  afterEach(async function () {
    await runGeorep(['stop', master, slave, '--workdir', work]);
    for (const pid of processesMentioning(tmp)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (process.env['GEOREP_KEEP_TMP'] === '1' && this.currentTest?.state === 'failed') console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });

  const geo = (...args: string[]): Promise<RunResult> => runGeorep([...args, '--workdir', work]);
  const ok = async (...args: string[]): Promise<RunResult> => {
    const r = await geo(...args);
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    return r;
  };
  /** ssh-setup with the host's fingerprint, and the session's key and remote georep. */
  const setUp = async (): Promise<void> => {
    await ok('ssh-setup', master, slave, '--accept-host-key', host.fingerprint);
    await ok('config', master, slave, 'ssh-identity', host.keyFile);
    await ok('config', master, slave, 'remote-georep', remoteGeorep());
  };
  const equal = (): void => {
    const diffs = compareTrees(master, root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  };

  it('refuses to connect before ssh-setup pinned a key, and pins only the fingerprint given', async function () {
    fs.mkdirSync(master);
    fs.writeFileSync(path.join(master, 'f'), 'x');
    const first = await geo('sync', '--oneshot', master, slave);
    expect(first.exitCode, describeRun(['sync'], first)).to.equal(EXIT.slave);
    expect(first.stderr).to.match(/no host key is pinned .* run georep ssh-setup/);
    const wrong = await geo('ssh-setup', master, slave, '--accept-host-key', 'SHA256:AAAAnotthekey');
    expect(wrong.exitCode).to.equal(EXIT.slave);
    expect(wrong.stderr).to.include(host.fingerprint);
    const asked = await geo('ssh-setup', master, slave); // no terminal: it shows the keys and asks for the flag
    expect(asked.exitCode).to.equal(EXIT.usage);
    expect(asked.stderr).to.include(host.fingerprint).and.include('--accept-host-key');
    expect(fs.existsSync(root), 'nothing reached the slave host').to.equal(false);
  });

  it('one-shot: mirrors the awkward tree into a root whose path holds spaces, quotes, $ and ;, then converges after changes', async function () {
    buildAwkwardTree(master, { bigFileBytes: 4 * 1024 * 1024, sparseBytes: 8 * 1024 * 1024 });
    await setUp();
    await ok('sync', '--oneshot', master, slave);
    equal();
    fs.writeFileSync(path.join(master, '#new at top'), 'new');
    fs.rmSync(path.join(master, 'with space.txt'));
    fs.renameSync(path.join(master, 'nested'), path.join(master, ';nested moved'));
    await ok('sync', '--oneshot', master, slave, '--seed-copy', 'false');
    equal();
    // Nothing of the session is left running on either side.
    await sleep(200);
    expect(processesMentioning(tmp)).to.deep.equal([]);
  });

  it('one-shot file by file (no seed copy) into an empty remote slave, with small batches', async function () {
    buildAwkwardTree(master, { bigFileBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    await setUp();
    await ok(
      'sync',
      '--oneshot',
      master,
      slave,
      '--seed-copy',
      'false',
      '--xsync-changelog-entries',
      '7',
      '--sync-box-files',
      '3',
    );
    equal();
  });

  it('refuses a slave host whose key changed since ssh-setup, and leaves the slave untouched', async function () {
    fs.mkdirSync(master);
    fs.writeFileSync(path.join(master, 'f'), 'one');
    await setUp();
    await ok('sync', '--oneshot', master, slave);
    fs.writeFileSync(path.join(master, 'f'), 'two');
    await host.rotateHostKey();
    try {
      const r = await geo('sync', '--oneshot', master, slave);
      expect(r.exitCode, describeRun(['sync'], r)).to.equal(EXIT.slave);
      expect(r.stderr).to.match(/host key .* is not the one pinned/);
      expect(fs.readFileSync(path.join(root, 'f'), 'utf8')).to.equal('one');
      // The operator checks the new key and pins it: the session goes on.
      await ok('ssh-setup', master, slave, '--accept-host-key', host.fingerprint);
      await ok('sync', '--oneshot', master, slave);
      equal();
    } finally {
      await ok('ssh-setup', master, slave, '--accept-host-key', host.fingerprint);
    }
  });

  it('says in one line when the georep command is missing on the slave host', async function () {
    fs.mkdirSync(master);
    await setUp();
    await ok('config', master, slave, 'remote-georep', '/nonexistent/georep');
    const r = await geo('sync', '--oneshot', master, slave);
    expect(r.exitCode, describeRun(['sync'], r)).to.equal(EXIT.slave);
    expect(r.stderr).to.match(/georep command was not found on .* remote-georep/);
  });

  it('live: survives kill -9 of the ssh connection, the remote agent and rsync, and the link going down, then converges', async function () {
    this.timeout(180_000);
    fs.mkdirSync(master);
    for (let d = 0; d < 6; d++) {
      fs.mkdirSync(path.join(master, `d${d}`));
      for (let f = 0; f < 30; f++) fs.writeFileSync(path.join(master, `d${d}`, `f${f}`), `${d}/${f}\n`.repeat(200));
    }
    await setUp();
    for (const [k, v] of [
      ['seed-copy', 'false'],
      ['restart-backoff', '1'],
      ['restart-backoff-max', '2'],
      ['slave-timeout', '6'],
    ] as const)
      await ok('config', master, slave, k, v);
    await ok('start', master, slave);
    let n = 0;
    let stop = false;
    // A steady stream of changes the whole time.
    const load = (async () => {
      while (!stop) {
        const d = path.join(master, `d${n % 6}`);
        fs.writeFileSync(path.join(d, `new${n}`), `n${n}`);
        fs.appendFileSync(path.join(d, `f${n % 30}`), `more ${n}\n`);
        if (n % 7 === 0) fs.rmSync(path.join(d, `new${n - 7}`), { force: true });
        n++;
        await sleep(40);
      }
    })();
    const kill = async (what: RegExp): Promise<void> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        // The session's processes: named by the run's folder, or (ssh) by the slave host's address.
        const pids = [...processesMentioning(tmp), ...processesMentioning(`@${host.address} `)].filter((pid) => {
          try {
            return what.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
          } catch {
            return false;
          }
        });
        if (pids.length > 0) {
          let killed = 0;
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL');
              killed++;
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; // it ended on its own meanwhile
            }
          }
          if (killed > 0) return;
        }
        if (Date.now() > deadline) throw new Error(`no process matching ${String(what)} appeared`);
        await sleep(50);
      }
    };
    try {
      await sleep(3000);
      await kill(/^ssh .* -M -N /); // the shared connection (and every channel with it)
      await sleep(4000);
      await kill(/ slave --log-level /); // the agent on the slave host
      await sleep(4000);
      await kill(/^rsync /); // a transfer (its remote end goes with it)
      await sleep(3000);
      if (host.netns === undefined) console.log('      (no namespace: the link-down part did not run)');
      else {
        host.link(false);
        await sleep(10_000); // longer than slave-timeout: both ends give the link up
        host.link(true);
        await sleep(3000);
      }
    } finally {
      if (host.netns !== undefined) host.link(true);
      stop = true;
      await load;
    }
    const deadline = Date.now() + 60_000;
    let diffs = ['not compared yet'];
    while (Date.now() < deadline) {
      try {
        diffs = compareTrees(master, root).map((d) => `${d.what} ${d.path}`);
      } catch (e) {
        diffs = [String(e)];
      }
      if (diffs.length === 0) break;
      await sleep(300);
    }
    expect(diffs, diffs.slice(0, 20).join('\n')).to.deep.equal([]);
    // A file the load kept writing may sit in the ledger (CHANGED_DURING_SYNC) until its next
    // retry, even after a later change delivered it: the ledger empties at that retry.
    let left: unknown[] = [];
    while (Date.now() < deadline + 30_000) {
      left = JSON.parse((await ok('failures', master, slave, '--json')).stdout) as unknown[];
      if (left.length === 0) break;
      await sleep(500);
    }
    expect(left, 'nothing left in the failure ledger').to.deep.equal([]);
  });

  it('live: georep start replicates to the remote slave, changes follow, stop leaves nothing running', async function () {
    buildAwkwardTree(master, { bigFileBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    await setUp();
    await ok('config', master, slave, 'seed-copy', 'false');
    await ok('start', master, slave);
    const converge = async (): Promise<void> => {
      const deadline = Date.now() + 40_000;
      const compare = (): ReturnType<typeof compareTrees> => {
        try {
          return compareTrees(master, root);
        } catch (e) {
          // not there yet, or it changed under the walk
          return [{ path: '.', what: 'missing', master, slave: String(e) }];
        }
      };
      let diffs = compare();
      while (diffs.length > 0 && Date.now() < deadline) {
        await sleep(200);
        diffs = compare();
      }
      expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
    };
    await converge();
    fs.writeFileSync(path.join(master, '#live'), 'live');
    fs.renameSync(path.join(master, 'hard'), path.join(master, '..hard moved'));
    fs.rmSync(path.join(master, 'links', 'to-file'));
    fs.symlinkSync('elsewhere', path.join(master, 'links', 'to-file'));
    await converge();
    await ok('stop', master, slave);
    await sleep(300);
    expect(processesMentioning(tmp)).to.deep.equal([]);
  });
});
