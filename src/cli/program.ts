// The georep commander program: verbs, help texts, and commander's error handling routed to
// the CLI's streams. Invariant: commander never calls process.exit (exitOverride); run.ts decides.

import { Command } from 'commander';
import { addCompletionCommands } from './cmd-completion.js';
import { addConfigCommand } from './cmd-config.js';
import { addServiceCommands } from './cmd-service.js';
import { addDaemonCommands } from './cmd-daemon.js';
import { addFailureCommands } from './cmd-failures.js';
import { addReleaseCommand } from './cmd-release.js';
import { addStatusCommands } from './cmd-status.js';
import { addSlaveCommand } from './cmd-slave.js';
import { addSshSetupCommand } from './cmd-ssh-setup.js';
import { addSyncCommand } from './cmd-sync.js';
import { addVerifyCommands } from './cmd-verify.js';
import type { CliContext } from './context.js';
import { EXIT_CODE_HELP } from './exit-codes.js';
import { packageVersion } from './package-info.js';

const MAIN_HELP = `
Examples:
  $ georep sync --oneshot /srv/data /backup/data     # replicate once
  $ georep start /srv/data /backup/data               # replicate continuously (daemon)
  $ georep stop /srv/data /backup/data                # stop the daemon
  $ georep status --detail                            # every session: state, pending work, checkpoint
  $ georep checkpoint set /srv/data /backup/data now  # then: georep checkpoint status …
  $ georep verify --checksum /srv/data /backup/data   # compare every entry (and its content)
  $ georep config /srv/data /backup/data sync-jobs 8  # tune the session
  $ georep sync --help                                # every option
  $ georep service install data /srv/data /backup/data  # run it under systemd (georep@data)

Environment:
  GEOREP_WORKDIR  workdir when --workdir is not given
  GEOREP_DEBUG=1  print stack traces on errors
  JOURNAL_STREAM, NOTIFY_SOCKET  set by systemd: log lines for the journal, state line for systemctl status

${EXIT_CODE_HELP}`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('georep')
    .description(
      'Replicate a directory tree one way to another directory, crash-safely, in the manner of GlusterFS geo-replication.',
    )
    .version(packageVersion(), '-V, --version', 'print the georep version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', MAIN_HELP);
  addSyncCommand(program, ctx);
  addDaemonCommands(program, ctx);
  addStatusCommands(program, ctx);
  addFailureCommands(program, ctx);
  addReleaseCommand(program, ctx);
  addVerifyCommands(program, ctx);
  addConfigCommand(program, ctx);
  addSshSetupCommand(program, ctx);
  addSlaveCommand(program, ctx);
  addServiceCommands(program, ctx);
  addCompletionCommands(program, ctx);
  return program;
}
