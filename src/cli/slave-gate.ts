// `georep slave-gate [--] ROOT`: the forced command of a restricted session key (the
// authorized_keys line georep ssh-setup --make-key prints). sshd runs it in place of whatever
// the client asked for, with the request in SSH_ORIGINAL_COMMAND, judged by src/slave/gate.ts.
// Invariant: it runs only the agent for ROOT, or rrsync confined to ROOT's state folder;
// anything else ends with one line on stderr and exit status 3, and nothing is run.
// main.ts dispatches here before loading the CLI: sshd starts the gate for every channel of
// the key, one per rsync stream, so it loads only what the request needs (measured on this
// machine under load: the CLI's modules take 0.3-0.6 s to load, the gate's 0.03-0.05 s).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { GeorepError, hasErrno, isGeorepError } from '../errors.js';
import { judgeRemoteCommand } from '../slave/gate.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

/** The verb sshd's forced command names (main.ts dispatches on it). */
export const SLAVE_GATE_VERB = 'slave-gate';
/** rsync's restricted wrapper (Debian's rsync package ships it as /usr/bin/rrsync). */
export const RRSYNC_COMMAND = 'rrsync';
/**
 * rrsync's flags: write only (the master never reads from the slave with rsync), and no
 * per-folder lock, since the seed copy runs parallel streams into one folder.
 */
const RRSYNC_FLAGS = ['-wo', '-no-lock'] as const;
/** The PATH rrsync is looked up in and runs with: the gate passes it no other environment. */
const GATE_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface GateIo {
  /** SSH_ORIGINAL_COMMAND as sshd set it; undefined for a login without a command. */
  readonly request: string | undefined;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /**
   * Traps the stop signals (SIGTERM, SIGHUP from sshd) into an abort, for the agent only: it
   * closes its index before it exits. An rsync stream keeps the default (the process ends).
   */
  readonly trapStop?: () => AbortSignal;
}

/** Runs the gate for `args` (`[--] ROOT`); resolves with the process's exit status. */
export async function runSlaveGate(args: readonly string[], io: GateIo): Promise<number> {
  const rest = args[0] === '--' ? args.slice(1) : args;
  const root = rest[0];
  try {
    if (rest.length !== 1 || root === undefined || !root.startsWith('/'))
      throw new GeorepError(
        'USAGE',
        `usage: georep ${SLAVE_GATE_VERB} -- ROOT (an absolute path), got ${JSON.stringify(args)}`,
      );
    const request = judgeRemoteCommand(io.request, root, realOrSelf(root));
    switch (request.kind) {
      case 'agent': {
        // Loaded here: only the agent needs the logger and the slave code.
        const [{ createLogger }, { runAgent }] = await Promise.all([import('../log.js'), import('../slave/index.js')]);
        // The master reads stderr and re-logs each JSON line with its level (SlaveClient).
        const log = createLogger({ level: request.logLevel ?? 'info', stderrFormat: 'json' });
        await runAgent(request.root, io.stdin, io.stdout, log, {
          ...(request.idleTimeoutS === undefined ? {} : { idleTimeoutMs: request.idleTimeoutS * 1000 }),
          ...(io.trapStop === undefined ? {} : { stop: io.trapStop() }),
        });
        return EXIT.ok;
      }
      case 'rsync':
        return await runRrsync(request.dir, request.command);
    }
  } catch (e) {
    if (!isGeorepError(e)) throw e;
    io.stderr.write(`georep: ${e.message.replace(/\n/g, '\\n')}\n`);
    return exitCodeFor(e.code);
  }
}

/** The folder with symlinks resolved; itself while it does not exist yet (the agent makes it). */
function realOrSelf(root: string): string {
  try {
    return fs.realpathSync(root);
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return root;
    throw e;
  }
}

/** Runs rrsync on this process's stdin/stdout (the rsync protocol); resolves with its exit status. */
function runRrsync(dir: string, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(RRSYNC_COMMAND, [...RRSYNC_FLAGS, dir], {
      stdio: 'inherit',
      env: { PATH: GATE_PATH, SSH_ORIGINAL_COMMAND: command },
    });
    child.once('error', (e) =>
      reject(
        new GeorepError(
          'GATE_REFUSED',
          `slave-gate: refused: cannot run ${RRSYNC_COMMAND} (${e.message}); install rsync on the slave host (Debian's rsync package ships rrsync)`,
          { cause: e },
        ),
      ),
    );
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}
