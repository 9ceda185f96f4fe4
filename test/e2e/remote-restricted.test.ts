// E2E for the restricted session key: georep ssh-setup --make-key makes the key and prints
// the authorized_keys line (restrict, forced command georep slave-gate ROOT); with only that
// line on the slave host (the test host's unrestricted key taken out), a one-shot sync with the
// seed copy, a file-by-file sync and a live session all work, compared by an independent walk;
// the same key used by hand reaches nothing else; the private key appears in no log or status.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { shellQuote } from '../../src/syncer/remote.js';
import { describeRun } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { remoteSessionFixture } from '../support/remote-session.js';
import { buildAwkwardTree } from '../support/tree-builder.js';
import { compareTrees, formatDifferences, untilTreesEqual } from '../support/tree-compare.js';

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after 30 s), with its output. */
function run(file: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file under `dir` (no symlinks followed). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('e2e: remote slave through a restricted session key', function () {
  this.timeout(120_000);
  let unrestricted: Buffer;
  const s = remoteSessionFixture({
    prefix: 'georep-gate-',
    // Quotes of both kinds, a backslash, $ and ;: through authorized_keys, the login shell and rsync.
    rootName: `slave it's "$HOME";x\\y`,
    cleanup: () => fs.writeFileSync(s.host.authorizedKeys, unrestricted),
  });

  before(function () {
    unrestricted = fs.readFileSync(s.host.authorizedKeys);
  });

  const geo = (...args: string[]): Promise<RunResult> => s.run(args);
  const ok = (...args: string[]): Promise<RunResult> => s.expectExit(EXIT.ok, args);

  /** ssh-setup --make-key; the printed line becomes the host's only authorized key. Returns the key file. */
  const setUpRestricted = async (): Promise<string> => {
    await ok('config', s.master, s.slave, 'remote-georep', s.remoteGeorep);
    const r = await ok('ssh-setup', s.master, s.slave, '--accept-host-key', s.host.fingerprint, '--make-key');
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    expect(line).to.match(/^restrict,command="[^\n]* slave-gate -- [^\n]*" ssh-ed25519 AAAA\S+ georep-session-\S+$/);
    fs.writeFileSync(s.host.authorizedKeys, line + '\n');
    const [key] = filesUnder(s.work).filter((f) => path.basename(f) === 'ssh-key');
    expect(key, 'the session key is in the session folder').to.be.a('string');
    expect(fs.statSync(key as string).mode & 0o777).to.equal(0o600);
    // Run again: the same key, the same line.
    const again = await ok('ssh-setup', s.master, s.slave, '--accept-host-key', s.host.fingerprint, '--make-key');
    expect(again.stdout.trim().split('\n').at(-1)).to.equal(line);
    return key as string;
  };
  const equal = (): void => {
    const diffs = compareTrees(s.master, s.root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  };
  const converge = (): Promise<void> => untilTreesEqual(s.master, s.root);

  it('one-shot (seed copy, then file by file) and a live session work through the forced command alone', async function () {
    buildAwkwardTree(s.master, { bigFileBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    const key = await setUpRestricted();
    await ok('sync', '--oneshot', s.master, s.slave); // empty slave: the seed copy (rsync -aHS) goes through rrsync
    equal();
    fs.writeFileSync(path.join(s.master, '#new at top'), 'new');
    fs.appendFileSync(path.join(s.master, 'with space.txt'), 'more data for the delta transfer');
    fs.renameSync(path.join(s.master, 'nested'), path.join(s.master, ';nested moved'));
    await ok('sync', '--oneshot', s.master, s.slave, '--seed-copy', 'false'); // rsync into staging boxes
    equal();

    await ok('start', s.master, s.slave);
    fs.writeFileSync(path.join(s.master, '#live'), 'live');
    fs.writeFileSync(path.join(s.master, 'with space.txt'), 'rewritten live');
    await converge();
    const status = await ok('status', s.master, s.slave, '--json');
    await ok('stop', s.master, s.slave);

    // The private key is in no log, status or other session file: not one line of its base64.
    const secret = fs
      .readFileSync(key, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('-----'));
    expect(secret.length).to.be.greaterThan(0);
    const texts = [
      status.stdout,
      ...filesUnder(s.work)
        .filter((f) => f !== key)
        .map((f) => fs.readFileSync(f, 'latin1')),
    ];
    expect(
      filesUnder(s.work).some((f) => path.basename(f) === 'georep.log'),
      'the session log was written',
    ).to.equal(true);
    for (const line of secret)
      for (const t of texts) expect(t.includes(line), 'a private key line in a session file').to.equal(false);
  });

  it('the same key used by hand reaches no shell, no other path and no other root', async function () {
    fs.mkdirSync(s.master);
    fs.writeFileSync(path.join(s.master, 'f'), 'x');
    const key = await setUpRestricted();
    await ok('sync', '--oneshot', s.master, s.slave); // the key works for the session (and makes ROOT/.georep)
    const knownHosts = path.join(path.dirname(key), 'known_hosts');
    const sshWords = [
      'ssh',
      '-i',
      key,
      '-oIdentitiesOnly=yes',
      '-oBatchMode=yes',
      `-oUserKnownHostsFile=${knownHosts}`,
      '-oStrictHostKeyChecking=yes',
      '-p',
      String(s.host.port),
    ];
    const dest = `${s.host.user}@${s.host.address}`;
    const ssh = (...args: string[]): Promise<Ran> => run(sshWords[0] as string, [...sshWords.slice(1), ...args]);
    const other = path.join(s.tmp, 'other root');
    const outside = path.join(s.tmp, 'outside');
    fs.mkdirSync(outside);
    const payload = path.join(s.tmp, 'payload');
    fs.writeFileSync(payload, 'pwned');
    const targets = [`${outside}/`, `${s.root}/`, `${s.root}/.georep/`, `${s.root}/.georep/staging/../../`];
    /** A session for another root given this key (run beside the probes: each georep start costs seconds). */
    const otherSession = async (): Promise<RunResult> => {
      const slave2 = s.slave.replace(s.root, other);
      await ok('ssh-setup', s.master, slave2, '--accept-host-key', s.host.fingerprint);
      await ok('config', s.master, slave2, 'remote-georep', s.remoteGeorep);
      await ok('config', s.master, slave2, 'ssh-identity', key);
      return geo('sync', '--oneshot', s.master, slave2);
    };
    const [shell, chained, agent, fwd, session2, tarssh, tar, ...rsyncs] = await Promise.all([
      ssh(dest, 'cat /etc/passwd'),
      ssh(dest, `rsync --server -logDtpre.iLsfxCIvu . ${shellQuote(`${s.root}/.georep/seed/`)}; cat /etc/passwd`),
      ssh(dest, `${s.remoteGeorep} slave -- ${shellQuote(other)}`),
      // Forwarding is off (restrict): a remote forward is refused at once.
      ssh('-N', '-oExitOnForwardFailure=yes', '-R', '0:127.0.0.1:22', dest),
      otherSession(),
      // The gate runs no tar, so the session says so before it starts.
      geo('sync', '--oneshot', s.master, s.slave, '--sync-method', 'tarssh'),
      ssh(dest, `tar -C ${shellQuote(`${s.root}/.georep/staging`)} -x -f - --numeric-owner`),
      ...targets.map((t) => run('rsync', ['-e', sshWords.join(' '), payload, `${dest}:${t}`])),
    ]);

    expect(shell.status, shell.stderr).to.not.equal(0);
    expect(shell.stdout).to.not.include('root:');
    expect(shell.stderr).to.match(/slave-gate: refused/);
    expect(chained.status).to.not.equal(0);
    expect(chained.stdout).to.not.include('root:');
    expect(chained.stderr).to.match(/slave-gate: refused: the command line holds an unquoted ";"/);
    expect(agent.status).to.not.equal(0);
    expect(agent.stderr).to.match(/slave-gate: refused: this key serves the slave root/);
    expect(fwd.status, 'port forwarding is refused').to.not.equal(0);
    expect(tarssh.exitCode, describeRun(['sync', 'tarssh'], tarssh)).to.equal(EXIT.usage);
    expect(tarssh.stderr).to.match(/restricted session key .* runs no tar/);
    expect(tar.status).to.not.equal(0);
    expect(tar.stderr).to.match(/slave-gate: refused: tar is not allowed/);
    rsyncs.forEach((r, i) => expect(r.status, `rsync to ${targets[i] ?? ''}`).to.not.equal(0));
    expect(fs.readdirSync(outside)).to.deep.equal([]);
    expect(fs.existsSync(path.join(s.root, 'payload'))).to.equal(false);
    expect(fs.existsSync(path.join(s.root, '.georep', 'payload'))).to.equal(false);
    // The other session's master is refused in one line; no agent ever ran for the other root.
    expect(session2.exitCode, describeRun(['sync', 'other root'], session2)).to.equal(EXIT.slave);
    expect(session2.stderr).to.match(/restricted key.*refused the agent.*serves the slave root/);
    expect(fs.existsSync(other), 'no agent ran for another root').to.equal(false);
    // The slave is still the master's.
    equal();
  });
});
