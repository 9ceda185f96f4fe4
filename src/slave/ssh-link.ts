// SshLink: the one ssh connection a session keeps to a remote slave host. A master connection
// (ControlMaster, in a private 0700 folder) is opened first and owned by this process; the
// agent, every rsync and tar stream are channels of it, so a link opens one TCP connection and
// authenticates once. Invariants: the host key is pinned (the session's own known_hosts, which
// `georep ssh-setup` writes; never StrictHostKeyChecking=no), a failure says in one line what
// to do, and close() leaves no ssh process and no socket behind.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GeorepError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { shellQuote, splitWords } from '../syncer/remote.js';
import type { RemoteTarget } from '../syncer/index.js';
import type { RemoteSlave } from './address.js';
import { canonicalSlave, sshDestination } from './address.js';
import { RUNTIME_FILES, SESSION_FILES, runtimeDirName } from '../session-files.js';

/** The options of a session that shape its ssh (conf/georep.conf says what each does). */
export interface SshSettings {
  readonly sshCommand: string;
  readonly sshOptions: string;
  readonly sshIdentity: string;
  readonly remoteGeorep: string;
  readonly slaveTimeout: number;
  readonly compress: 'off' | 'ssh' | 'zstd' | 'zlib';
}

/** The session's pinned host keys (OpenSSH known_hosts format), written by georep ssh-setup. */
export const KNOWN_HOSTS_FILE = SESSION_FILES.knownHosts;

/**
 * The session's own private key (its .pub beside it), made by georep ssh-setup --make-key. Used
 * when ssh-identity is empty: the slave host lets it in only through georep slave-gate.
 */
export const SESSION_KEY_FILE = SESSION_FILES.sessionKey;

/**
 * The key file ssh is given: ssh-identity when set, else the session key when there is one,
 * else none (ssh's defaults). A session key on a path with whitespace is copied into `runDir`
 * (0600), since rsync splits its -e command on whitespace.
 */
export function identityFor(sshIdentity: string, sessionDir: string, runDir: string): string {
  if (sshIdentity !== '') return sshIdentity;
  const own = path.join(sessionDir, SESSION_KEY_FILE);
  if (!fs.existsSync(own)) return '';
  if (!/\s/.test(own)) return own;
  const copy = path.join(runDir, SESSION_KEY_FILE);
  fs.copyFileSync(own, copy);
  fs.chmodSync(copy, 0o600);
  return copy;
}

/** Keep-alive probes ssh sends (ServerAliveCountMax): the link is given up after this many go unanswered. */
const ALIVE_PROBES = 3;

/** ssh -o settings georep always gives, before any of the operator's: ssh takes the first value of each. */
function pinned(knownHosts: string, control: string, timeoutS: number): string[] {
  const interval = Math.max(1, Math.floor(timeoutS / ALIVE_PROBES));
  return [
    '-oBatchMode=yes',
    '-oStrictHostKeyChecking=yes',
    `-oUserKnownHostsFile=${knownHosts}`,
    '-oGlobalKnownHostsFile=/dev/null',
    '-oUpdateHostKeys=no',
    `-oControlPath=${control}`,
    `-oServerAliveInterval=${interval}`,
    `-oServerAliveCountMax=${ALIVE_PROBES}`,
    `-oConnectTimeout=${timeoutS}`,
    '-oLogLevel=ERROR',
  ];
}

/** Words no setting may carry: they would undo the pinned host key or the shared connection. */
const REFUSED =
  /^-o\s*(StrictHostKeyChecking|UserKnownHostsFile|GlobalKnownHostsFile|ControlPath|ControlMaster|BatchMode)\b/i;

/**
 * The ssh program and the arguments every use of the link shares: ssh-command's words, then
 * georep's pinned settings, then the port, identity and ssh-options. A setting given twice
 * (ssh-port and a -p in ssh-options, say) is a configuration error, never a silent choice.
 */
export function sshArgv(slave: RemoteSlave, s: SshSettings, knownHosts: string, control: string): string[] {
  const [program, ...fixed] = splitWords(s.sshCommand);
  if (program === undefined) throw new GeorepError('CONFIG_INVALID', 'ssh-command is empty; give the ssh program');
  const extra = splitWords(s.sshOptions);
  const words = [...fixed, ...extra];
  const joined = words.join(' ');
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const o = w === '-o' ? `-o${words[i + 1] ?? ''}` : w;
    if (REFUSED.test(o)) {
      throw new GeorepError(
        'CONFIG_INVALID',
        `ssh-command/ssh-options may not set ${o.slice(2).split('=')[0] ?? o}: georep pins the host key per session and shares one connection (see georep ssh-setup)`,
      );
    }
  }
  if (/(^|\s)-p\s*\d|-o\s*Port\b/i.test(joined)) {
    throw new GeorepError(
      'CONFIG_INVALID',
      'give the ssh port as ssh-port or in the slave address, not in ssh-command or ssh-options',
    );
  }
  if (s.sshIdentity !== '' && /(^|\s)-i(\s|$)|-o\s*IdentityFile\b/i.test(joined)) {
    throw new GeorepError(
      'CONFIG_INVALID',
      'ssh-identity is set and ssh-command or ssh-options names a key too; give it in one place',
    );
  }
  if (/\s/.test(s.sshIdentity) || /\s/.test(knownHosts) || /\s/.test(control)) {
    // rsync splits its -e command on whitespace: such a path would be cut in two.
    throw new GeorepError('CONFIG_INVALID', `ssh-identity ${s.sshIdentity} must be a path without whitespace`);
  }
  return [
    program,
    ...pinned(knownHosts, control, s.slaveTimeout),
    ...fixed,
    '-p',
    String(slave.port),
    ...(s.sshIdentity === '' ? [] : ['-i', s.sshIdentity, '-oIdentitiesOnly=yes']),
    ...(s.compress === 'ssh' ? ['-oCompression=yes'] : ['-oCompression=no']),
    ...extra,
  ];
}

/** The remote command line for the agent: every word quoted for the remote shell, which joins them. */
export function remoteAgentLine(
  s: Pick<SshSettings, 'remoteGeorep' | 'slaveTimeout'>,
  root: string,
  logLevel: string,
): string {
  const georep = splitWords(s.remoteGeorep);
  if (georep.length === 0)
    throw new GeorepError('CONFIG_INVALID', 'remote-georep is empty; give the georep command on the slave host');
  return [...georep, 'slave', '--log-level', logLevel, '--idle-timeout', String(s.slaveTimeout), '--', root]
    .map(shellQuote)
    .join(' ');
}

/** What ssh's stderr says went wrong, as an error code and a line that says what to do. */
export function classifySshFailure(
  stderr: string,
  slave: RemoteSlave,
  sessionHint: string,
): { code: ErrorCode; message: string } {
  const where = canonicalSlave(slave);
  const tail = stderr.trim().split('\n').slice(-3).join(' | ');
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key for .* has changed/i.test(stderr)) {
    return {
      code: 'SSH_REFUSED',
      message: `the host key of ${slave.host}:${slave.port} is not the one pinned for this session: refusing to connect (someone may be intercepting the link, or the host was reinstalled). If the change is expected, run georep ssh-setup ${sessionHint} again`,
    };
  }
  if (/Permission denied|Too many authentication failures|no mutual signature/i.test(stderr)) {
    return {
      code: 'SSH_REFUSED',
      message: `${slave.user}@${slave.host}:${slave.port} refused our key (${tail}); add the session's public key to ~${slave.user}/.ssh/authorized_keys there (georep ssh-setup --make-key prints the line), or set ssh-identity`,
    };
  }
  return {
    code: 'SLAVE_UNREACHABLE',
    message: `cannot reach the slave host for ${where}: ${tail || 'ssh exited without a word'}; georep retries with backoff`,
  };
}

export class SshLink {
  private constructor(
    readonly slave: RemoteSlave,
    private readonly argv: readonly string[],
    private readonly dir: string,
    private readonly master: ChildProcess,
    private readonly log: Logger,
    private readonly ioTimeoutS: number,
  ) {}

  /**
   * Opens the master connection for `slave`. `sessionDir` holds the pinned known_hosts;
   * `sessionHint` is how the operator names the session (for messages: "MASTER SLAVE").
   */
  static async open(
    slave: RemoteSlave,
    settings: SshSettings,
    sessionDir: string,
    sessionHint: string,
    log: Logger,
    signal?: AbortSignal,
  ): Promise<SshLink> {
    const pinnedKeys = path.join(sessionDir, KNOWN_HOSTS_FILE);
    if (!fs.existsSync(pinnedKeys)) {
      throw new GeorepError(
        'SSH_SETUP_NEEDED',
        `no host key is pinned for ${slave.host}:${slave.port} in this session; run georep ssh-setup ${sessionHint} first (it shows the key's fingerprint and records it)`,
      );
    }
    const dir = runtimeDir(sessionDir);
    // A copy on a short path without whitespace: rsync splits its -e command on whitespace.
    const knownHosts = path.join(dir, KNOWN_HOSTS_FILE);
    fs.copyFileSync(pinnedKeys, knownHosts);
    const identity = identityFor(settings.sshIdentity, sessionDir, dir);
    const argv = sshArgv(
      slave,
      { ...settings, sshIdentity: identity },
      knownHosts,
      path.join(dir, RUNTIME_FILES.sshControl),
    );
    const [program, ...args] = argv;
    const master = spawn(program as string, [...args, '-M', '-N', '-oControlPersist=no', sshDestination(slave)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    master.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-4096);
    });
    const link = new SshLink(slave, argv, dir, master, log, settings.slaveTimeout);
    try {
      await link.waitReady(signal, () => stderr, sessionHint);
    } catch (e) {
      await link.close();
      throw e;
    }
    master.once('exit', (code, sig) => {
      if (!link.closing)
        log.warn('ssh connection to the slave host ended', { code, signal: sig, stderr: stderr.trim().slice(-300) });
    });
    return link;
  }

  private closing = false;

  /** The argv that runs the agent on the slave host through this connection. */
  agentCommand(settings: Pick<SshSettings, 'remoteGeorep' | 'slaveTimeout'>, logLevel: string): string[] {
    return [
      ...this.argv,
      '-oControlMaster=no',
      '-T',
      sshDestination(this.slave),
      '--',
      remoteAgentLine(settings, this.slave.root, logLevel),
    ];
  }

  /** Where rsync and tar send: the destination and the ssh command (words without whitespace inside). */
  remoteTarget(): RemoteTarget {
    return {
      host: sshDestination(this.slave),
      sshCommand: [...this.argv, '-oControlMaster=no'].join(' '),
      ioTimeoutS: this.ioTimeoutS,
    };
  }

  /** Ends the master connection (its channels with it) and removes the private folder. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.master.exitCode === null && this.master.signalCode === null) {
      const gone = new Promise<void>((resolve) => this.master.once('exit', () => resolve()));
      this.master.kill('SIGTERM');
      const timer = setTimeout(() => this.master.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Resolves once the master connection accepts channels; rejects with what ssh said if it died. */
  private async waitReady(signal: AbortSignal | undefined, stderr: () => string, hint: string): Promise<void> {
    const socket = path.join(this.dir, RUNTIME_FILES.sshControl);
    const exited = new Promise<void>((resolve) => {
      if (this.master.exitCode !== null || this.master.signalCode !== null) resolve();
      else this.master.once('exit', () => resolve());
    });
    let dead = false;
    void exited.then(() => {
      dead = true;
    });
    for (;;) {
      signal?.throwIfAborted();
      if (dead) {
        // Let the last stderr bytes arrive before reading them.
        await new Promise((r) => setTimeout(r, 20));
        const { code, message } = classifySshFailure(stderr(), this.slave, hint);
        throw new GeorepError(code, message);
      }
      if (fs.existsSync(socket)) return;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 25))]);
    }
  }
}

/** Links this process opened so far: each has a folder of its own. */
let linksOpened = 0;

/**
 * /tmp/georep-<uid>/ssh-<hash>-<pid>-<n>: short (a socket path must fit 107 bytes), private,
 * per link. Per link, not per process: the worker's scheduled audit opens a second link to the
 * same slave beside the worker's own, and one folder for both would have the audit's open
 * (and close) remove the worker's control socket, leaving every later rsync and tar channel to
 * connect and authenticate on its own.
 */
function runtimeDir(sessionDir: string): string {
  const uid = process.getuid?.() ?? 0;
  const base = path.join('/tmp', runtimeDirName(uid));
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  fs.chmodSync(base, 0o700);
  const tag = createHash('sha256').update(sessionDir).digest('hex').slice(0, 10);
  const dir = path.join(base, RUNTIME_FILES.sshLinkDir(tag, process.pid, ++linksOpened));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}
