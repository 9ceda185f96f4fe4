// `georep slave-gate ROOT`: the forced command of a restricted session key (the
// authorized_keys line georep ssh-setup --make-key prints). sshd runs it in place of whatever
// the client asked for; the request is in SSH_ORIGINAL_COMMAND, judged by src/slave/gate.ts.
// Invariant: it runs only the agent for ROOT, or rrsync confined to ROOT's state folder;
// anything else ends with one line on stderr and a non-zero exit, and nothing is run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Command } from 'commander';
import { GeorepError, hasErrno } from '../errors.js';
import { judgeRemoteCommand } from '../slave/gate.js';
import { runSlaveAgent } from './cmd-slave.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';

/** rsync's restricted wrapper (Debian's rsync package ships it as /usr/bin/rrsync). */
export const RRSYNC_COMMAND = 'rrsync';
/** rrsync's flags: write only (the master never reads from the slave this way), and no
 *  per-folder lock, since the seed copy runs parallel streams into one folder. */
const RRSYNC_FLAGS = ['-wo', '-no-lock'] as const;
/** The PATH rrsync is looked up in and runs with: the gate passes it no other environment. */
const GATE_PATH = '/usr/local/bin:/usr/bin:/bin';

export function addSlaveGateCommand(program: Command, ctx: CliContext): void {
  program
    .command('slave-gate', { hidden: true })
    .summary('forced command of a restricted session key (authorized_keys command="…")')
    .description(
      'Run the remote command sshd received (SSH_ORIGINAL_COMMAND) only if it is the slave agent for ROOT, or ' +
        'rsync writing into ROOT/.georep through rrsync; refuse anything else. georep ssh-setup --make-key prints ' +
        'the authorized_keys line that names it.',
    )
    .argument('<root>', 'the slave root this key is pinned to')
    .action(async (root: string) => {
      const realRoot = realOrSelf(root);
      const request = judgeRemoteCommand(ctx.io.env.sshOriginalCommand, root, realRoot);
      switch (request.kind) {
        case 'agent':
          await runSlaveAgent(ctx, request.root, {
            ...(request.logLevel === undefined ? {} : { logLevel: request.logLevel }),
            ...(request.idleTimeoutS === undefined ? {} : { idleTimeout: String(request.idleTimeoutS) }),
          });
          return;
        case 'rsync': {
          const code = await runRrsync(request.dir, request.command);
          if (code !== 0) ctx.setExit(EXIT.syncFailed);
          return;
        }
      }
    });
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

/** Runs rrsync on this process's stdin/stdout (the rsync protocol); resolves with its exit code. */
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
