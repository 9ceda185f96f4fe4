// `georep ssh-setup MASTER SLAVE`: first contact with a remote slave host. It fetches the
// host's keys, shows their fingerprints and pins the accepted ones in the session's own
// known_hosts; every later run refuses a host that shows another key. Invariant: a key is
// pinned only when the operator accepted it (at a terminal) or named its fingerprint
// (--accept-host-key); nothing is pinned on trust, so a detached daemon never has to ask.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { GeorepError } from '../errors.js';
import type { RemoteSlave } from '../slave/address.js';
import { KNOWN_HOSTS_FILE } from '../slave/ssh-link.js';
import { writeFileAtomic } from '../atomic-file.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import type { CliContext } from './context.js';
import { addSchemaOptions, collectSchemaFlags } from './flags.js';
import { prepareSession } from './session.js';
import { authorizedKeysLine, ensureSessionKey } from './session-key.js';

const EXAMPLES = `
Examples:
  $ georep ssh-setup /srv/data backup@dr-site:/backup/data
  $ georep ssh-setup /srv/data ssh://backup@dr-site:2222/backup/data --accept-host-key SHA256:Qm…
  $ georep ssh-setup /srv/data backup@dr-site:/backup/data --make-key   # then add the printed line
                                                                        # to ~backup/.ssh/authorized_keys

Check the fingerprint out of band (on the slave host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub).`;

interface SetupFlags {
  readonly workdir?: string;
  readonly acceptHostKey?: string;
  readonly makeKey?: boolean;
}

/** One host key as ssh-keyscan gave it, with its fingerprint. */
export interface ScannedKey {
  /** The known_hosts line ("host keytype base64"). */
  readonly line: string;
  readonly type: string;
  /** "SHA256:…", as ssh-keygen -l prints it. */
  readonly fingerprint: string;
}

export function addSshSetupCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ssh-setup')
    .summary("pin a remote slave host's key for the session (first contact)")
    .description(
      "Fetch the slave host's ssh host keys, show their fingerprints, and record the accepted ones in the " +
        "session's own known_hosts. Every later georep run for the session refuses a host with another key.",
    )
    .argument('<master>', 'directory tree to replicate (must exist)')
    .argument('<slave>', 'remote slave: [user@]host:/path or ssh://[user@]host[:port]/path')
    .option('--accept-host-key <fingerprint>', 'pin the key with this SHA256 fingerprint without asking (for scripts)')
    .option(
      '--make-key',
      "make the session's own ssh key (once) and print its authorized_keys line for the slave host, restricted to this slave root",
    )
    .option('--workdir <dir>', WORKDIR_HELP);
  const attributes = addSchemaOptions(cmd, ctx.schema);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (master: string, slave: string, _o: unknown, command: Command) => {
    const flags = command.opts<SetupFlags>();
    const s = prepareSession(ctx, master, slave, flags.workdir, collectSchemaFlags(command, attributes));
    if (s.slave.kind !== 'remote') {
      throw new GeorepError('USAGE', `${slave} is a local folder; ssh-setup is for a slave on another host`);
    }
    const keys = scanHostKeys(s.slave, s.config.slaveTimeout);
    const chosen = await choose(ctx, s.slave, keys, flags.acceptHostKey);
    const file = path.join(s.sessionDir, KNOWN_HOSTS_FILE);
    const had = fs.existsSync(file);
    writeFileAtomic(file, chosen.map((k) => k.line).join('\n') + '\n');
    fs.chmodSync(file, 0o600);
    ctx.io.stdout.write(
      `georep: ${had ? 'replaced the pinned host key' : 'pinned the host key'} of ${s.slave.host}:${s.slave.port} for ${s.masterRoot} -> ${s.slaveRoot}: ${chosen.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}\n`,
    );
    if (flags.makeKey === true) printSessionKey(ctx, s.sessionDir, s.slave, s.config);
  });
}

/**
 * Makes the session key if needed and prints the restricted authorized_keys line (last, on a
 * line of its own, for scripts). Only the public key is printed.
 */
function printSessionKey(
  ctx: CliContext,
  sessionDir: string,
  slave: RemoteSlave,
  config: { readonly sshIdentity: string; readonly remoteGeorep: string; readonly syncMethod: string },
): void {
  const key = ensureSessionKey(sessionDir, `georep-session-${path.basename(sessionDir)}`);
  const line = authorizedKeysLine(key.publicKey, config.remoteGeorep, slave.root);
  const out = ctx.io.stdout;
  out.write(
    `georep: ${key.created ? 'made' : 'kept'} the session key ${key.fingerprint} (${key.file}); add this line to ~${slave.user}/.ssh/authorized_keys on ${slave.host}:\n`,
  );
  if (config.sshIdentity !== '')
    out.write(
      `georep: note: ssh-identity is set (${config.sshIdentity}), so the session uses that key; clear it to use this one\n`,
    );
  if (config.syncMethod === 'tarssh')
    out.write('georep: note: a restricted key does not run tar; set sync-method rsync for this session\n');
  out.write(`${line}\n`);
}

/** The host's keys by ssh-keyscan, each with its fingerprint; SLAVE_UNREACHABLE when there are none. */
export function scanHostKeys(slave: RemoteSlave, timeoutS: number): ScannedKey[] {
  let scanned: string;
  try {
    scanned = execFileSync('ssh-keyscan', ['-T', String(timeoutS), '-p', String(slave.port), '--', slave.host], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    throw new GeorepError(
      'SLAVE_UNREACHABLE',
      `cannot fetch the host keys of ${slave.host}:${slave.port}: ${String(e)}`,
    );
  }
  const lines = scanned.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const keys = lines.map((line) => {
    const [, type = '?'] = line.split(' ');
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: line + '\n', encoding: 'utf8' });
    return { line, type, fingerprint: out.split(' ')[1] ?? '?' };
  });
  if (keys.length === 0) {
    throw new GeorepError(
      'SLAVE_UNREACHABLE',
      `${slave.host}:${slave.port} showed no ssh host key (is sshd running there, and the address and port right?)`,
    );
  }
  return keys;
}

async function choose(
  ctx: CliContext,
  slave: RemoteSlave,
  keys: readonly ScannedKey[],
  accept: string | undefined,
): Promise<ScannedKey[]> {
  const shown = keys.map((k) => `  ${k.type} ${k.fingerprint}`).join('\n');
  if (accept !== undefined) {
    const hit = keys.filter((k) => k.fingerprint === accept.trim());
    if (hit.length === 0) {
      throw new GeorepError(
        'SSH_REFUSED',
        `${slave.host}:${slave.port} has no key with fingerprint ${accept}; it shows:\n${shown}\nrefusing to pin anything (check the fingerprint on the slave host)`,
      );
    }
    return hit;
  }
  if (!ctx.io.stderrIsTTY) {
    throw new GeorepError(
      'USAGE',
      `the host keys of ${slave.host}:${slave.port} are:\n${shown}\ncheck one on the slave host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then run again with --accept-host-key FINGERPRINT`,
    );
  }
  ctx.io.stderr.write(`The host ${slave.host}:${slave.port} shows these keys:\n${shown}\n`);
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const answer = await rl.question('Pin them for this session? Compare with the slave host first. [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new GeorepError('USAGE', 'nothing pinned: the host key was not accepted');
  } finally {
    rl.close();
  }
  return [...keys];
}
