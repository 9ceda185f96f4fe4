// E2E for a remote slave over real ssh: a second host (a network namespace with its own sshd,
// made and torn down here; an sshd on loopback where namespaces are not allowed), the host key
// pinned by georep ssh-setup, the agent, rsync and the seed copy over one shared connection.
// The slave is compared with the master by an independent walk, never by georep's word.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { remoteSessionFixture } from '../support/remote-session.js';
import { buildAwkwardTree } from '../support/tree-builder.js';
import { compareTrees, formatDifferences, untilTreesEqual } from '../support/tree-compare.js';

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
  const s = remoteSessionFixture({
    prefix: 'georep-remote-',
    // Spaces, quotes, $ and ; in the slave root: it must never meet a shell unquoted.
    rootName: `slave it's $HOME;x`,
    // Whatever of this test's still runs (an ssh, an agent on the host), by pid.
    cleanup: () => {
      for (const pid of processesMentioning(s.tmp)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    },
  });

  const geo = (...args: string[]): Promise<RunResult> => s.run(args);
  const ok = (...args: string[]): Promise<RunResult> => s.expectExit(EXIT.ok, args);
  const equal = (): void => {
    const diffs = compareTrees(s.master, s.root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  };

  it('refuses to connect before ssh-setup pinned a key, and pins only the fingerprint given', async function () {
    fs.mkdirSync(s.master);
    fs.writeFileSync(path.join(s.master, 'f'), 'x');
    const first = await geo('sync', '--oneshot', s.master, s.slave);
    expect(first.exitCode, describeRun(['sync'], first)).to.equal(EXIT.slave);
    expect(first.stderr).to.match(/no host key is pinned .* run georep ssh-setup/);
    const wrong = await geo('ssh-setup', s.master, s.slave, '--accept-host-key', 'SHA256:AAAAnotthekey');
    expect(wrong.exitCode).to.equal(EXIT.slave);
    expect(wrong.stderr).to.include(s.host.fingerprint);
    const asked = await geo('ssh-setup', s.master, s.slave); // no terminal: it shows the keys and asks for the flag
    expect(asked.exitCode).to.equal(EXIT.usage);
    expect(asked.stderr).to.include(s.host.fingerprint).and.include('--accept-host-key');
    expect(fs.existsSync(s.root), 'nothing reached the slave host').to.equal(false);
  });

  it('one-shot: mirrors the awkward tree into a root whose path holds spaces, quotes, $ and ;, then converges after changes', async function () {
    buildAwkwardTree(s.master, { bigFileBytes: 4 * 1024 * 1024, sparseBytes: 8 * 1024 * 1024 });
    await s.setUp();
    await ok('sync', '--oneshot', s.master, s.slave);
    equal();
    fs.writeFileSync(path.join(s.master, '#new at top'), 'new');
    fs.rmSync(path.join(s.master, 'with space.txt'));
    fs.renameSync(path.join(s.master, 'nested'), path.join(s.master, ';nested moved'));
    await ok('sync', '--oneshot', s.master, s.slave, '--seed-copy', 'false');
    equal();
    // Nothing of the session is left running on either side.
    await sleep(200);
    expect(processesMentioning(s.tmp)).to.deep.equal([]);
  });

  it('one-shot file by file (no seed copy) into an empty remote slave, with small batches', async function () {
    buildAwkwardTree(s.master, { bigFileBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    await s.setUp();
    await ok(
      'sync',
      '--oneshot',
      s.master,
      s.slave,
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
    fs.mkdirSync(s.master);
    fs.writeFileSync(path.join(s.master, 'f'), 'one');
    await s.setUp();
    await ok('sync', '--oneshot', s.master, s.slave);
    fs.writeFileSync(path.join(s.master, 'f'), 'two');
    await s.host.rotateHostKey();
    try {
      const r = await geo('sync', '--oneshot', s.master, s.slave);
      expect(r.exitCode, describeRun(['sync'], r)).to.equal(EXIT.slave);
      expect(r.stderr).to.match(/host key .* is not the one pinned/);
      expect(fs.readFileSync(path.join(s.root, 'f'), 'utf8')).to.equal('one');
      // The operator checks the new key and pins it: the session goes on.
      await ok('ssh-setup', s.master, s.slave, '--accept-host-key', s.host.fingerprint);
      await ok('sync', '--oneshot', s.master, s.slave);
      equal();
    } finally {
      await ok('ssh-setup', s.master, s.slave, '--accept-host-key', s.host.fingerprint);
    }
  });

  it('says in one line when the georep command is missing on the slave host', async function () {
    fs.mkdirSync(s.master);
    await s.setUp();
    await ok('config', s.master, s.slave, 'remote-georep', '/nonexistent/georep');
    const r = await geo('sync', '--oneshot', s.master, s.slave);
    expect(r.exitCode, describeRun(['sync'], r)).to.equal(EXIT.slave);
    expect(r.stderr).to.match(/georep command was not found on .* remote-georep/);
  });

  it('live: survives kill -9 of the ssh connection, the remote agent and rsync, and the link going down, then converges', async function () {
    this.timeout(180_000);
    fs.mkdirSync(s.master);
    for (let d = 0; d < 6; d++) {
      fs.mkdirSync(path.join(s.master, `d${d}`));
      for (let f = 0; f < 30; f++) fs.writeFileSync(path.join(s.master, `d${d}`, `f${f}`), `${d}/${f}\n`.repeat(200));
    }
    await s.setUp();
    for (const [k, v] of [
      ['seed-copy', 'false'],
      ['restart-backoff', '1'],
      ['restart-backoff-max', '2'],
      ['slave-timeout', '6'],
    ] as const)
      await ok('config', s.master, s.slave, k, v);
    await ok('start', s.master, s.slave);
    let n = 0;
    let stop = false;
    // A steady stream of changes the whole time.
    const load = (async () => {
      while (!stop) {
        const d = path.join(s.master, `d${n % 6}`);
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
        const pids = [...processesMentioning(s.tmp), ...processesMentioning(`@${s.host.address} `)].filter((pid) => {
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
      if (s.host.netns === undefined) console.log('      (no namespace: the link-down part did not run)');
      else {
        s.host.link(false);
        // Longer than slave-timeout: both ends give the link up. Meanwhile the worker waits for
        // the host (reconnect-probe-interval) and says so in status, instead of a restart loop.
        const down = Date.now();
        let fault: unknown;
        while (Date.now() - down < 25_000) {
          const st = JSON.parse((await ok('status', s.master, s.slave, '--json')).stdout) as Record<string, unknown>;
          if (st['worker_status'] === 'Faulty' && String(st['fault']).includes('probing')) {
            fault = st['fault'];
            if (Date.now() - down >= 10_000) break;
          }
          await sleep(500);
        }
        expect(String(fault), 'Faulty, waiting for the host while the link is down').to.match(
          /cannot reach the slave host .*; probing \S+:\d+ until it answers/,
        );
        s.host.link(true);
        await sleep(3000);
      }
    } finally {
      if (s.host.netns !== undefined) s.host.link(true);
      stop = true;
      await load;
    }
    const deadline = Date.now() + 60_000;
    let diffs = ['not compared yet'];
    while (Date.now() < deadline) {
      try {
        diffs = compareTrees(s.master, s.root).map((d) => `${d.what} ${d.path}`);
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
      left = JSON.parse((await ok('failures', s.master, s.slave, '--json')).stdout) as unknown[];
      if (left.length === 0) break;
      await sleep(500);
    }
    expect(left, 'nothing left in the failure ledger').to.deep.equal([]);
  });

  it('live: georep start replicates to the remote slave, changes follow, stop leaves nothing running', async function () {
    buildAwkwardTree(s.master, { bigFileBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    await s.setUp();
    await ok('config', s.master, s.slave, 'seed-copy', 'false');
    await ok('start', s.master, s.slave);
    const converge = (): Promise<void> => untilTreesEqual(s.master, s.root);
    await converge();
    fs.writeFileSync(path.join(s.master, '#live'), 'live');
    fs.renameSync(path.join(s.master, 'hard'), path.join(s.master, '..hard moved'));
    fs.rmSync(path.join(s.master, 'links', 'to-file'));
    fs.symlinkSync('elsewhere', path.join(s.master, 'links', 'to-file'));
    await converge();
    await ok('stop', s.master, s.slave);
    await sleep(300);
    expect(processesMentioning(s.tmp)).to.deep.equal([]);
  });
});
