// `georep start` / `georep stop`, and the two hidden verbs the session monitor runs as its
// children (`__recorder`, `__worker`). Invariants: one monitor per session (it holds the session
// lock and the pid file); every session process is a child of the monitor and dies with it;
// an error restarting cannot fix stops the session with its cause instead of looping.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Clock } from '../clock.js';
import { writeFileAtomic } from '../atomic-file.js';
import { GeorepError, isGeorepError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { createLogger } from '../log.js';
import type { Logger } from '../log.js';
import { isAlive, readLivePid, removePidFile, Supervisor, writePidFile } from '../monitor/index.js';
import {
  exitWhenParentGone,
  MonitorStatus,
  readMonitorState,
  sendToMonitor,
  writeExitCause,
} from '../monitor/index.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { addSchemaOptions, collectSchemaFlags } from './flags.js';
import { prepareSession } from './session.js';
import { readSessionValues } from './session-values.js';
import { SystemdStatusReporter, systemdNotify } from './systemd-status.js';
import type { PreparedSession } from './session.js';
import type { RawValue } from './values.js';
import { DAEMON_FILES, SESSION_FILES } from '../session-files.js';

/** Errors no restart can fix: the child says so (EXIT.permanent) and the monitor stops. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CONFIG_INVALID',
  'CONFIG_UNKNOWN_KEY',
  'USAGE',
  'MASTER_MISSING',
  'FOREIGN_MASTER',
  'PROTOCOL_VERSION',
  'SSH_SETUP_NEEDED',
  'SSH_REFUSED',
  'WATCH_LIMIT',
  'SOCKET_UNUSABLE',
  'SLAVE_UNWRITABLE',
  'NATIVE_MISSING',
  'PATH_ESCAPES_ROOT',
  'STATE_TOO_NEW',
]);

/** How long `georep start` waits for the detached monitor to write its pid file. */
const START_WAIT_MS = 15_000;
/** Poll period while waiting for a process to appear or go. */
const POLL_MS = 100;
/** Extra time `georep stop` gives the monitor beyond its own stop timeout before killing it. */
const STOP_GRACE_MS = 5_000;

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
    if (flags.foreground === true) await runMonitor(ctx, s, schemaFlags);
    else await startDetached(ctx, s, schemaFlags);
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
      await stopDaemon(ctx, s);
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

  for (const role of ['recorder', 'worker'] as const) {
    const cmd = program
      .command(`__${role}`, { hidden: true })
      .argument('<master>')
      .argument('<slave>')
      .option('--workdir <dir>');
    const attrs = addSchemaOptions(cmd, ctx.schema);
    cmd.action(async (master: string, slave: string, opts: DaemonFlags, command: Command) => {
      const s = prepareSession(ctx, master, slave, opts.workdir, collectSchemaFlags(command, attrs));
      await runChild(ctx, s, role);
    });
  }
}

/** The flags of this run, as arguments for the processes the daemon starts. */
function flagArgs(s: PreparedSession, schemaFlags: Readonly<Record<string, RawValue>>): string[] {
  const args = [s.masterRoot, s.slaveRoot, '--workdir', s.workdir];
  for (const [key, value] of Object.entries(schemaFlags)) args.push(`--${key}=${String(value)}`);
  return args;
}

async function startDetached(
  ctx: CliContext,
  s: PreparedSession,
  schemaFlags: Readonly<Record<string, RawValue>>,
): Promise<void> {
  const pidFile = path.join(s.sessionDir, DAEMON_FILES.pid);
  const running = readLivePid(pidFile);
  if (running !== undefined) {
    throw new GeorepError(
      'SESSION_BUSY',
      `the session daemon already runs (monitor pid ${running}); georep stop first`,
    );
  }
  const logFile = path.join(s.sessionDir, DAEMON_FILES.log);
  const fd = fs.openSync(logFile, 'a', 0o600);
  const [exe, ...pre] = ctx.io.selfCommand;
  if (exe === undefined) throw new Error('self command is empty');
  let exited: number | null = null;
  try {
    const child = spawn(exe, [...pre, 'start', '--foreground', ...flagArgs(s, schemaFlags)], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.on('exit', (code) => {
      exited = code ?? EXIT.internal;
    });
    child.unref();
    const deadline = ctx.io.clock.nowMs() + START_WAIT_MS;
    while (ctx.io.clock.nowMs() < deadline) {
      if (child.pid !== undefined && readLivePid(pidFile) === child.pid) {
        ctx.io.stdout.write(
          `georep: started the session daemon for ${s.masterRoot} -> ${s.slaveRoot} (monitor pid ${child.pid})\n` +
            `georep: log: ${logFile}\n`,
        );
        return;
      }
      if (exited !== null) break;
      await ctx.io.clock.sleep(POLL_MS);
    }
  } finally {
    fs.closeSync(fd);
  }
  throw new GeorepError(
    'DAEMON_NOT_STARTED',
    exited === null
      ? `the session daemon did not start within ${START_WAIT_MS / 1000} s; see ${logFile}`
      : `the session daemon exited at once (code ${String(exited)}): ${lastLine(logFile)}`,
  );
}

async function stopDaemon(ctx: CliContext, s: PreparedSession): Promise<void> {
  const pidFile = path.join(s.sessionDir, DAEMON_FILES.pid);
  const pid = readLivePid(pidFile);
  if (pid === undefined) {
    throw new GeorepError('NOT_RUNNING', `no session daemon runs for ${s.masterRoot} -> ${s.slaveRoot}`);
  }
  // A stopped (paused) process holds SIGTERM until it continues: let it, so it can stop cleanly.
  if (fs.existsSync(path.join(s.sessionDir, DAEMON_FILES.paused))) resumeWorker(s);
  process.kill(pid, 'SIGTERM');
  const deadline = ctx.io.clock.nowMs() + s.config.stopTimeout * 1000 + STOP_GRACE_MS;
  while (isAlive(pid) && ctx.io.clock.nowMs() < deadline) await ctx.io.clock.sleep(POLL_MS);
  if (isAlive(pid)) {
    // Its children notice the monitor is gone (their IPC channel closes) and stop themselves.
    process.kill(pid, 'SIGKILL');
    ctx.io.stderr.write(`georep: the monitor (pid ${pid}) did not stop in time and was killed\n`);
    while (isAlive(pid)) await ctx.io.clock.sleep(POLL_MS);
  }
  removePidFile(pidFile, pid);
  ctx.io.stdout.write(`georep: stopped the session daemon for ${s.masterRoot} -> ${s.slaveRoot}\n`);
}

/** The monitor: supervises recorder and worker until stopped or a child fails for good. */
async function runMonitor(
  ctx: CliContext,
  s: PreparedSession,
  schemaFlags: Readonly<Record<string, RawValue>>,
): Promise<void> {
  const { SessionLock } = await import('../master/session-lock.js');
  const log = createLogger({ level: s.config.logLevel, journal: ctx.io.stderrIsJournal }).child({ proc: 'monitor' });
  const lock = SessionLock.acquire(s.sessionDir);
  const pidFile = path.join(s.sessionDir, DAEMON_FILES.pid);
  const faultFile = path.join(s.sessionDir, DAEMON_FILES.fault);
  fs.rmSync(faultFile, { force: true });
  const status = new MonitorStatus(
    { faultyAfterExits: s.config.faultyAfterExits, worker: 'worker' },
    {
      file: path.join(s.sessionDir, DAEMON_FILES.state),
      sessionDir: s.sessionDir,
      clock: ctx.io.clock,
      log,
      pid: process.pid,
    },
  );
  status.begin();
  const args = flagArgs(s, schemaFlags);
  const supervisor = new Supervisor(
    (['recorder', 'worker'] as const).map((role) => ({
      name: role,
      command: [...withHeapCap(ctx.io.selfCommand, s.config.daemonHeap), `__${role}`, ...args],
    })),
    {
      backoff: {
        initialMs: s.config.restartBackoff * 1000,
        maxMs: Math.max(s.config.restartBackoff, s.config.restartBackoffMax) * 1000,
        stableMs: Math.max(s.config.restartBackoff, s.config.restartBackoffMax) * 1000,
      },
      permanentExitCodes: new Set([EXIT.permanent]),
      stopTimeoutMs: s.config.stopTimeout * 1000,
      clock: ctx.io.clock,
      log,
    },
    {
      onStart: (name, pid) => status.started(name, pid),
      onExit: (exit, restartInMs) => status.exited(exit, restartInMs),
      onMessage: (name, msg) => status.message(name, msg),
    },
  );
  const { signal, release } = ctx.io.trapSignals();
  writePidFile(pidFile);
  log.info('session daemon started', { master: s.masterRoot, slave: s.slaveRoot, pid: process.pid });
  // Under systemd: the state line `systemctl status` shows. Not awaited: it must not hold a stop.
  const reporting = new AbortController();
  if (ctx.io.env.notifySocket !== undefined) {
    const notify = systemdNotify();
    void new SystemdStatusReporter(s.sessionDir, { clock: ctx.io.clock, notify, log }).run(reporting.signal);
  }
  try {
    const result = await supervisor.run(signal);
    if (result.kind === 'permanent') {
      const fault = readFault(faultFile);
      const cause = `${result.exit.name} stopped for good: ${fault?.message ?? `exit code ${String(result.exit.code)}`}`;
      status.stoppedForGood(cause);
      throw new GeorepError(fault?.code ?? 'USAGE', cause);
    }
    status.stopped();
    log.info('session daemon stopped');
  } finally {
    reporting.abort();
    release();
    removePidFile(pidFile, process.pid);
    lock.release();
  }
}

/**
 * V8's young generation per semi-space, MiB, for daemon processes. The default (16) keeps up
 * to ~48 MiB of short-lived objects resident; at 2 a 200k-entry reconcile peaked ~50 MB lower
 * for ~15 % more CPU, and a running session's work is small.
 */
const DAEMON_SEMI_SPACE_MIB = 2;

/** The self command with V8's heap capped (flags after the executable, before any other). */
export function withHeapCap(self: readonly string[], mib: number): string[] {
  const [exe, ...rest] = self;
  if (exe === undefined) throw new Error('self command is empty');
  const ours = /^--max-(old|semi)-space-size=/;
  return [
    exe,
    `--max-old-space-size=${mib}`,
    `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`,
    ...rest.filter((a) => !ours.test(a)),
  ];
}

/** The running worker's pid, from the monitor's state. */
function workerPid(s: PreparedSession): number {
  if (readLivePid(path.join(s.sessionDir, DAEMON_FILES.pid)) === undefined) {
    throw new GeorepError('NOT_RUNNING', `no session daemon runs for ${s.masterRoot} -> ${s.slaveRoot}`);
  }
  const pid = readMonitorState(path.join(s.sessionDir, DAEMON_FILES.state))?.children['worker'];
  if (pid === undefined || !isAlive(pid)) {
    throw new GeorepError('NOT_RUNNING', 'the worker is not running right now (starting or restarting); try again');
  }
  return pid;
}

function pauseWorker(s: PreparedSession): void {
  const pid = workerPid(s);
  // The worker leads its process group (the supervisor starts it detached): rsync and the
  // slave agent stop with it.
  process.kill(-pid, 'SIGSTOP');
  writeFileAtomic(path.join(s.sessionDir, DAEMON_FILES.paused), `${pid}\n`);
}

function resumeWorker(s: PreparedSession): void {
  const marker = path.join(s.sessionDir, DAEMON_FILES.paused);
  let pid: number | undefined;
  try {
    pid = Number(fs.readFileSync(marker, 'utf8').trim());
  } catch {
    throw new GeorepError('USAGE', `the session ${s.masterRoot} -> ${s.slaveRoot} is not paused`);
  }
  if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) process.kill(-pid, 'SIGCONT');
  fs.rmSync(marker, { force: true });
}

function readFault(file: string): { code: ErrorCode; message: string } | undefined {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof v === 'object' && v !== null && 'code' in v && 'message' in v) {
      return { code: v.code as ErrorCode, message: String(v.message) };
    }
  } catch {
    // no fault file: the child died before it could write one
  }
  return undefined;
}

function lastLine(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.at(-1) ?? '';
  } catch {
    return `(no log at ${file})`;
  }
}

/** A recorder or worker process: runs until the monitor stops it or goes away. */
async function runChild(ctx: CliContext, s: PreparedSession, role: 'recorder' | 'worker'): Promise<void> {
  const log: Logger = createLogger({ level: s.config.logLevel, journal: ctx.io.stderrIsJournal }).child({ proc: role });
  const { signal, release } = ctx.io.trapSignals();
  const gone = new AbortController();
  const stopWatch = exitWhenParentGone(() => gone.abort(new GeorepError('ABORTED', 'the monitor is gone')));
  const stop = AbortSignal.any([signal, gone.signal]);
  try {
    if (role === 'recorder') await runRecorderProcess(s, log, ctx.io.clock, stop);
    else {
      const { runLive } = await import('../master/live.js');
      const checkpointModule = await import('../master/checkpoint.js');
      await runLive({
        ...s,
        agentCommand: [...ctx.io.agentCommand, '--log-level', s.config.logLevel],
        log,
        clock: ctx.io.clock,
        signal: stop,
        onTurnCompleted: () => sendToMonitor({ kind: 'turn' }),
        checkpointTargetMs: () => {
          const { checkpointTargetMs } = checkpointModule;
          const v = readSessionValues(s.sessionDir)['checkpoint'];
          return checkpointTargetMs(v === undefined ? '' : String(v));
        },
      });
    }
  } catch (e) {
    if (!stop.aborted) recordExitCause(s, role, e, ctx.io.clock, log); // a stop is no failure
    if (isGeorepError(e) && PERMANENT.has(e.code)) {
      writeFileAtomic(
        path.join(s.sessionDir, DAEMON_FILES.fault),
        JSON.stringify({ proc: role, code: e.code, message: e.message }) + '\n',
      );
      log.error(e.message, { code: e.code });
      ctx.setExit(EXIT.permanent);
      return;
    }
    throw e;
  } finally {
    stopWatch();
    release();
  }
}

/**
 * Leaves why this child fails where the monitor reads it (monitor.json, georep status). Best
 * effort: the error being reported may be the very reason nothing can be written (a full disk),
 * and it, not the write's, is what ends the process.
 */
function recordExitCause(s: PreparedSession, role: string, error: unknown, clock: Clock, log: Logger): void {
  try {
    writeExitCause(s.sessionDir, role, error, clock.nowMs());
  } catch (w) {
    log.warn('cannot record why this process exits', { error: w instanceof Error ? w.message : String(w) });
  }
}

async function runRecorderProcess(s: PreparedSession, log: Logger, clock: Clock, signal: AbortSignal): Promise<void> {
  const { Recorder } = await import('../changelog/recorder/recorder.js');
  const { createChangeSource } = await import('../changelog/watch/change-source.js');
  const { openSessionIndex } = await import('../master/session-setup.js');
  const index = openSessionIndex(s.sessionDir, log, clock);
  try {
    const changelogDir = path.join(s.sessionDir, SESSION_FILES.changelogs);
    fs.mkdirSync(changelogDir, { recursive: true, mode: 0o700 });
    const source = createChangeSource(s.config.watcher, {
      root: s.masterRoot,
      usePolling: s.config.watcherPolling,
      pollIntervalMs: s.config.watcherPollInterval,
      cookieDir: path.join(s.sessionDir, SESSION_FILES.watchCookies),
      cookieTimeoutMs: s.config.watchCookieTimeout,
    });
    const recorder = new Recorder({
      rootPath: s.masterRoot,
      root: Buffer.from(s.masterRoot),
      index,
      changelogDir,
      source,
      clock,
      log,
      intervalMs: s.config.changeInterval * 1000,
      quietMs: s.config.rolloverQuiet,
      settleMs: s.config.watchSettle,
      crawlRate: s.config.crawlRate,
      reconcileIntervalMs: s.config.reconcileInterval * 1000,
    });
    await recorder.run(signal);
  } finally {
    index.close();
  }
}
