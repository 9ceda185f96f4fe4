// The session key: an ssh key pair of one session, made by `georep ssh-setup --make-key`, and
// the authorized_keys line that lets it in on the slave host restricted: `restrict` (no
// forwarding, no pty, no ~/.ssh/rc) and a forced command, `georep slave-gate ROOT`, that runs
// only the agent for ROOT and rsync into ROOT's state folder. Invariants: the private key is
// written 0600 in the 0700 session folder and never printed or logged (only the public half
// and fingerprints are shown); an existing key is kept, so running ssh-setup again prints the
// same line.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GeorepError } from '../errors.js';
import { SESSION_KEY_FILE } from '../slave/ssh-link.js';
import { shellQuote, splitWords } from '../syncer/remote.js';

export interface SessionKey {
  /** The private key file (in the session folder). */
  readonly file: string;
  /** "ssh-ed25519 AAAA… comment", as in the .pub file. */
  readonly publicKey: string;
  /** "SHA256:…". */
  readonly fingerprint: string;
  /** False when the session already had a key (it is kept). */
  readonly created: boolean;
}

/**
 * Makes the session's ed25519 key pair if it has none. No passphrase: a detached daemon
 * restarts and reconnects on its own, with nobody to type one, and an ssh-agent would be one
 * more process holding the key. What guards the key is the 0600 file in the 0700 session
 * folder, and what limits it is the forced command on the slave host.
 */
export function ensureSessionKey(sessionDir: string, comment: string): SessionKey {
  const file = path.join(sessionDir, SESSION_KEY_FILE);
  let created = false;
  if (!fs.existsSync(file) || !fs.existsSync(`${file}.pub`)) {
    // Made under a temporary name and renamed: an interrupted run leaves no half key pair.
    const tmp = path.join(sessionDir, `${SESSION_KEY_FILE}.tmp-${process.pid}`);
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.pub`, { force: true });
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', tmp], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (e) {
      throw new GeorepError('IO_ERROR', `ssh-keygen could not make the session key in ${sessionDir}: ${String(e)}`, {
        cause: e,
      });
    }
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(`${tmp}.pub`, `${file}.pub`);
    fs.renameSync(tmp, file);
    created = true;
  }
  const publicKey = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint =
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '?';
  return { file, publicKey, fingerprint, created };
}

/**
 * The authorized_keys line for the slave host: `restrict,command="REMOTE-GEOREP slave-gate --
 * ROOT" ssh-ed25519 AAAA… comment`. The command is quoted word by word for the login shell sshd
 * runs it with, then for authorized_keys, where only `"` needs a backslash inside the quotes.
 */
export function authorizedKeysLine(publicKey: string, remoteGeorep: string, root: string): string {
  if (/[\0-\x1f\x7f]/.test(root))
    throw new GeorepError(
      'USAGE',
      `the slave root ${JSON.stringify(root)} holds a control character; an authorized_keys line cannot carry it`,
    );
  const georep = splitWords(remoteGeorep);
  if (georep.length === 0)
    throw new GeorepError('CONFIG_INVALID', 'remote-georep is empty; give the georep command on the slave host');
  const command = [...georep, 'slave-gate', '--', root].map(shellQuote).join(' ');
  return `restrict,command="${command.replace(/"/g, '\\"')}" ${publicKey}`;
}
