// A second host for remote-slave tests: a network namespace this test run creates, joined to
// this one by a veth pair, with its own sshd (own host key, own authorized key, bound to the
// namespace's address). Nothing system-wide changes but /run/sshd (sshd's privilege-separation
// folder, created empty if missing). Everything is torn down by close(), even after a failure.
// Where namespaces are not allowed, sshd listens on 127.0.0.1 on a free port instead, and the
// link cases (down, shaped) are not available: `netns` says which ran.
//
// The namespace shares this machine's file system, so the "remote" georep is this checkout's
// and a slave root is a local folder: what crosses the link is only what ssh carries.

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './free-port.js';

export interface SshHost {
  /** The address sshd listens on (the namespace's, or 127.0.0.1). */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Private key the host's authorized_keys accepts (0600). */
  readonly keyFile: string;
  /** The host's public key line ("ssh-ed25519 AAAA…"). */
  readonly hostKey: string;
  /** SHA256 fingerprint of the host key, as ssh-keygen -l prints it ("SHA256:…"). */
  readonly fingerprint: string;
  /** The authorized_keys file sshd reads (tests may add restricted keys to it). */
  readonly authorizedKeys: string;
  /** The namespace's name, when one was made; undefined on the loopback fallback. */
  readonly netns: string | undefined;
  /** The host-side veth interface (shape or drop the link through it); undefined on loopback. */
  readonly hostIface: string | undefined;
  /** Takes the link down or up (namespace only): packets to the host are dropped, none leave by another route. */
  link(up: boolean): void;
  /** Limits the master → slave rate with tbf (namespace only); undefined removes the limit. */
  shape(rate: string | undefined): void;
  /** Replaces the host key (a test of key pinning); sshd is restarted. */
  rotateHostKey(): Promise<void>;
  close(): Promise<void>;
}

let made = 0;

/** Whether this machine lets us create network namespaces (root, iproute2, a kernel that allows it). */
export function netnsAvailable(): boolean {
  const name = `georep-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startSshHost(opts: { readonly preferNetns?: boolean } = {}): Promise<SshHost> {
  const n = made++;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-sshhost-'));
  fs.chmodSync(dir, 0o700);
  const cleanups: (() => void)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const cleanup = (): void => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        c();
      } catch {
        // best effort: the rest must still run
      }
    }
  };
  try {
    const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key');
    const keyFile = path.join(dir, 'id_ed25519');
    keygen(hostKeyFile);
    keygen(keyFile);
    const authorizedKeys = path.join(dir, 'authorized_keys');
    fs.writeFileSync(authorizedKeys, fs.readFileSync(`${keyFile}.pub`), { mode: 0o600 });
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

    let netns: string | undefined;
    let hostIface: string | undefined;
    let slaveIface: string | undefined;
    let address = '127.0.0.1';
    let port: number;
    if (opts.preferNetns !== false && netnsAvailable()) {
      // Names and addresses unique per process and host, so parallel runs never meet.
      const tag = `${process.pid % 100000}${n}`;
      netns = `georep-${tag}`;
      hostIface = `grh${tag}`.slice(0, 15);
      const peer = `grs${tag}`.slice(0, 15);
      slaveIface = peer;
      const [a, b] = subnetOf(process.pid * 7 + n);
      ip('netns', 'add', netns);
      cleanups.push(() => ip('netns', 'del', netns as string));
      ip('link', 'add', hostIface, 'type', 'veth', 'peer', 'name', peer);
      cleanups.push(() => ip('link', 'del', hostIface as string));
      ip('link', 'set', peer, 'netns', netns);
      ip('addr', 'add', `${a}/30`, 'dev', hostIface);
      ip('link', 'set', hostIface, 'up');
      ip('netns', 'exec', netns, 'ip', 'addr', 'add', `${b}/30`, 'dev', peer);
      ip('netns', 'exec', netns, 'ip', 'link', 'set', peer, 'up');
      ip('netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up');
      address = b;
      port = 22;
    } else {
      port = await freePort();
    }
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `ListenAddress ${address}`,
        `Port ${port}`,
        `HostKey ${hostKeyFile}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        'X11Forwarding no',
        'MaxStartups 100:30:200',
        'MaxSessions 100',
        'LogLevel ERROR',
        // A home of its own for the test account's sessions: the login shell then reads no
        // ~/.bashrc of this machine (here it ran pyenv init, 1-2 s per ssh command under load),
        // as on a slave host with a service account.
        `SetEnv HOME=${dir}`,
        '',
      ].join('\n'),
    );
    const sshdLog = path.join(dir, 'sshd.log');
    let sshd: ChildProcess | undefined;
    const startSshd = async (): Promise<void> => {
      const argv = ['/usr/sbin/sshd', '-D', '-e', '-f', config];
      const out = fs.openSync(sshdLog, 'a');
      sshd =
        netns === undefined
          ? spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', out, out] })
          : spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', out, out] });
      fs.closeSync(out);
      await waitForPort(address, port, sshd, sshdLog);
    };
    const stopSshd = async (): Promise<void> => {
      const p = sshd;
      sshd = undefined;
      if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGTERM');
      await gone;
    };
    await startSshd();
    cleanups.push(() => {
      if (sshd !== undefined && sshd.exitCode === null && sshd.signalCode === null) sshd.kill('SIGKILL');
    });
    const readHostKey = (): { hostKey: string; fingerprint: string } => ({
      hostKey: fs.readFileSync(`${hostKeyFile}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
      fingerprint: execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyFile}.pub`], {
        encoding: 'utf8',
      }).split(' ')[1] as string,
    });
    let key = readHostKey();
    const host: SshHost = {
      address,
      port,
      user: os.userInfo().username,
      keyFile,
      get hostKey() {
        return key.hostKey;
      },
      get fingerprint() {
        return key.fingerprint;
      },
      authorizedKeys,
      netns,
      hostIface,
      link(up) {
        if (netns === undefined || slaveIface === undefined)
          throw new Error('no namespace: the link cannot be changed');
        // The slave host's side goes down, as a host or a line gone silent: the master's side
        // keeps its route, so packets for the host are dropped at the veth. Taking the master's
        // side down instead removed that route, and they left by the default route for another
        // address (on this machine an outside proxy accepted the TCP connection: a probe saw
        // the host answer during the outage).
        ip('netns', 'exec', netns, 'ip', 'link', 'set', slaveIface, up ? 'up' : 'down');
      },
      shape(rate) {
        if (hostIface === undefined) throw new Error('no namespace: the link cannot be shaped');
        try {
          execFileSync('tc', ['qdisc', 'del', 'dev', hostIface, 'root'], { stdio: 'ignore' });
        } catch {
          // none yet
        }
        if (rate !== undefined)
          execFileSync('tc', [
            'qdisc',
            'add',
            'dev',
            hostIface,
            'root',
            'tbf',
            'rate',
            rate,
            'burst',
            '256kb',
            'latency',
            '50ms',
          ]);
      },
      async rotateHostKey() {
        await stopSshd();
        fs.rmSync(hostKeyFile, { force: true });
        fs.rmSync(`${hostKeyFile}.pub`, { force: true });
        keygen(hostKeyFile);
        key = readHostKey();
        await startSshd();
      },
      async close() {
        await stopSshd();
        cleanup();
      },
    };
    return host;
  } catch (e) {
    cleanup();
    throw e;
  }
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'georep-test', '-f', file], { stdio: 'ignore' });
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A /30 in 10.201.0.0/16 – 10.250.255.252 for `seed`: host side .1, namespace side .2. */
function subnetOf(seed: number): [string, string] {
  const k = seed % (50 * 256 * 64);
  const second = 201 + Math.floor(k / (256 * 64));
  const third = Math.floor(k / 64) % 256;
  const fourth = (k % 64) * 4;
  return [`10.${second}.${third}.${fourth + 1}`, `10.${second}.${third}.${fourth + 2}`];
}

async function waitForPort(address: string, port: number, proc: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`sshd exited at start: ${fs.readFileSync(log, 'utf8').slice(-500)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`sshd did not listen on ${address}:${port}: ${fs.readFileSync(log, 'utf8').slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The georep command the slave host runs (option remote-georep): this checkout, compiled with
 * GEOREP_USE_DIST=1 (as the suite runs), else from source through tsx.
 */
export function remoteGeorepCommand(repoRoot: string): string {
  if (process.env['GEOREP_USE_DIST'] === '1')
    return `${process.execPath} ${path.join(repoRoot, 'dist', 'cli', 'main.js')}`;
  const loader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return `${process.execPath} --import ${loader} ${path.join(repoRoot, 'src', 'cli', 'main.ts')}`;
}

/** The SLAVE argument for `root` on `host`: user@host:/path, or the ssh:// form off port 22. */
export function slaveAddress(host: Pick<SshHost, 'user' | 'address' | 'port'>, root: string): string {
  return host.port === 22
    ? `${host.user}@${host.address}:${root}`
    : `ssh://${host.user}@${host.address}:${host.port}${root}`;
}
