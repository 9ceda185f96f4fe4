// `georep start` / `georep stop` / `georep pause` / `georep resume`, and the two hidden verbs the
// session monitor runs as its children (`__recorder`, `__worker`). This file only parses: each
// verb calls one function of the folder that owns the process (monitor/ for the monitor, its
// children's frame and the start/stop/pause control, changelog/recorder/ for the recorder,
// master/ for the worker) and hands it what it takes from the CLI's context.

import type { Command } from 'commander';
import { createLogger } from '../log.js';
import type { Logger } from '../log.js';
import {
  DAEMON_ROLES,
  pauseWorker,
  resumeWorker,
  runDaemonChild,
  runMonitor,
  sendToMonitor,
  startDaemon,
  stopDaemon,
} from '../monitor/index.js';
import type { DaemonRole, MonitorProcessOptions } from '../monitor/index.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { addSchemaOptions, collectSchemaFlags } from './flags.js';
import { prepareSession, sessionRunOf } from './session.js';
import { readSessionValues } from './session-values.js';
import { SystemdStatusReporter, systemdNotify } from './systemd-status.js';
import type { PreparedSession } from './session.js';
import type { RawValue } from './values.js';

const START_EXAMPLES = `
Examples:
  $ georep start /srv/data /backup/data               # detached; logs in the session folder
  $ georep start --foreground /srv/data /backup/data  # attached (systemd Type=simple)
  $ georep stop /srv/data /backup/data`;

interface DaemonFlags {
  readonly foreground?: boolean;
  readonly workdir?: string;
}

export function addDaemonCommands(program: Command, ctx: CliContext): void {
  const start = program
    .command('start')
    .summary('replicate MASTER into SLAVE continuously (the session daemon)')
    .description(
      'Start the session daemon: a monitor that supervises the recorder (watches MASTER, writes ' +
        'changelogs) and the worker (applies them to SLAVE), restarting either after a crash. ' +
        'Detached unless --foreground; stop it with georep stop.',
    )
    .argument('<master>', 'directory tree to replicate (must exist)')
    .argument('<slave>', 'local directory to replicate into (created if missing)')
    .option('--foreground', 'stay attached to the terminal (for systemd); stop with Ctrl-C or SIGTERM')
    .option('--workdir <dir>', WORKDIR_HELP);
  const startAttrs = addSchemaOptions(start, ctx.schema);
  start.addHelpText('after', START_EXAMPLES);
  start.action(async (master: string, slave: string, _o: unknown, command: Command) => {
    const flags = command.opts<DaemonFlags>();
    const schemaFlags = collectSchemaFlags(command, startAttrs);
    const s = prepareSession(ctx, master, slave, flags.workdir, schemaFlags);
    if (flags.foreground === true) await runMonitor(s, monitorOptions(ctx, s, schemaFlags));
    else {
      const started = await startDaemon(s, {
        selfCommand: ctx.io.selfCommand,
        monitorArgs: ['start', '--foreground', ...flagArgs(s, schemaFlags)],
        noStatusExit: EXIT.internal,
        clock: ctx.io.clock,
      });
      ctx.io.stdout.write(
        `georep: started the session daemon for ${s.masterRoot} -> ${s.slaveRoot} (monitor pid ${started.pid})\n` +
          `georep: log: ${started.logFile}\n`,
      );
    }
  });

  program
    .command('stop')
    .summary('stop the session daemon of MASTER and SLAVE')
    .description('Stop the session daemon cleanly: in-flight transfers end, no process of the session remains.')
    .argument('<master>', 'the master of the session')
    .argument('<slave>', 'the slave of the session')
    .option('--workdir <dir>', WORKDIR_HELP)
    .action(async (master: string, slave: string, opts: DaemonFlags) => {
      const s = prepareSession(ctx, master, slave, opts.workdir, {});
      await stopDaemon(s, {
        clock: ctx.io.clock,
        onKill: (pid) => ctx.io.stderr.write(`georep: the monitor (pid ${pid}) did not stop in time and was killed\n`),
      });
      ctx.io.stdout.write(`georep: stopped the session daemon for ${s.masterRoot} -> ${s.slaveRoot}\n`);
    });

  for (const verb of ['pause', 'resume'] as const) {
    program
      .command(verb)
      .summary(verb === 'pause' ? 'pause syncing (the recorder keeps recording)' : 'resume a paused session')
      .description(
        verb === 'pause'
          ? 'Stop the worker where it is (SIGSTOP to its process group: rsync and the slave agent too), as gsyncd does. ' +
              'The recorder keeps recording, so nothing is missed; georep resume carries on.'
          : 'Let a paused worker carry on from where it stopped.',
      )
      .argument('<master>')
      .argument('<slave>')
      .option('--workdir <dir>', WORKDIR_HELP)
      .action((master: string, slave: string, opts: DaemonFlags) => {
        const s = prepareSession(ctx, master, slave, opts.workdir, {});
        if (verb === 'pause') pauseWorker(s);
        else resumeWorker(s);
        ctx.io.stdout.write(`georep: ${verb === 'pause' ? 'paused' : 'resumed'} ${s.masterRoot} -> ${s.slaveRoot}\n`);
      });
  }

  for (const role of DAEMON_ROLES) {
    const cmd = program
      .command(`__${role}`, { hidden: true })
      .argument('<master>')
      .argument('<slave>')
      .option('--workdir <dir>');
    const attrs = addSchemaOptions(cmd, ctx.schema);
    cmd.action(async (master: string, slave: string, opts: DaemonFlags, command: Command) => {
      const s = prepareSession(ctx, master, slave, opts.workdir, collectSchemaFlags(command, attrs));
      const log = createLogger({ level: s.config.logLevel, journal: ctx.io.stderrIsJournal }).child({ proc: role });
      const outcome = await runDaemonChild(
        { role, sessionDir: s.sessionDir, log, clock: ctx.io.clock, trapSignals: ctx.io.trapSignals },
        (stop) => (role === 'recorder' ? runRecorder(ctx, s, log, stop) : runWorker(ctx, s, log, stop)),
      );
      if (outcome === 'permanent') ctx.setExit(EXIT.permanent);
    });
  }
}

/** The flags of this run, as arguments for the processes the daemon starts. */
function flagArgs(s: PreparedSession, schemaFlags: Readonly<Record<string, RawValue>>): string[] {
  const args = [s.masterRoot, s.slaveRoot, '--workdir', s.workdir];
  for (const [key, value] of Object.entries(schemaFlags)) args.push(`--${key}=${String(value)}`);
  return args;
}

/** What the monitor takes from the CLI: how to run its children, and systemd's status line. */
function monitorOptions(
  ctx: CliContext,
  s: PreparedSession,
  schemaFlags: Readonly<Record<string, RawValue>>,
): MonitorProcessOptions {
  const log = createLogger({ level: s.config.logLevel, journal: ctx.io.stderrIsJournal }).child({ proc: 'monitor' });
  const args = flagArgs(s, schemaFlags);
  return {
    selfCommand: ctx.io.selfCommand,
    childArgs: (role: DaemonRole) => [`__${role}`, ...args],
    clock: ctx.io.clock,
    log,
    trapSignals: ctx.io.trapSignals,
    // Under systemd: the state line `systemctl status` shows.
    alongside:
      ctx.io.env.notifySocket === undefined
        ? undefined
        : (signal) => {
            const notify = systemdNotify();
            void new SystemdStatusReporter(s.sessionDir, { clock: ctx.io.clock, notify, log }).run(signal);
          },
  };
}

/** The `__recorder` body. Loaded here, in the recorder process only. */
async function runRecorder(ctx: CliContext, s: PreparedSession, log: Logger, signal: AbortSignal): Promise<void> {
  const { runRecorderProcess } = await import('../changelog/recorder/recorder-process.js');
  const { openSessionIndex } = await import('../master/session-setup.js');
  await runRecorderProcess({
    ...s,
    openIndex: () => openSessionIndex(s.sessionDir, log, ctx.io.clock),
    clock: ctx.io.clock,
    log,
    signal,
    onRecording: () => sendToMonitor({ kind: 'recording' }),
  });
}

/** The `__worker` body. Loaded here, in the worker process only. */
async function runWorker(ctx: CliContext, s: PreparedSession, log: Logger, signal: AbortSignal): Promise<void> {
  const { runWorkerProcess } = await import('../master/worker-process.js');
  await runWorkerProcess({
    ...sessionRunOf(ctx, s, log, signal),
    onTurnCompleted: () => sendToMonitor({ kind: 'turn' }),
    onUnreachable: (cause) => sendToMonitor({ kind: 'unreachable', cause }),
    checkpointValue: () => {
      const v = readSessionValues(s.sessionDir)['checkpoint'];
      return v === undefined ? undefined : String(v);
    },
  });
}
