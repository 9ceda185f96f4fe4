// Starting and stopping a session daemon from outside it (georep start, georep stop). It exists
// so the CLI only parses: what "started" means (the detached monitor wrote its pid file) and
// how a stop ends every process of the session live here, beside the monitor they control.
// Invariant: start returns only once the monitor runs, and stop only once it is gone.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { GeorepError } from '../errors.js';
import { DAEMON_FILES } from '../session-files.js';
import type { DaemonSession } from './daemon-session.js';
import { isAlive, readLivePid, removePidFile } from './pid-file.js';
import { isPaused, resumeWorker } from './worker-pause.js';

/** How long `georep start` waits for the detached monitor to write its pid file. */
const START_WAIT_MS = 15_000;
/** Poll period while waiting for a process to appear or go. */
const POLL_MS = 100;
/** Extra time `georep stop` gives the monitor beyond its own stop timeout before killing it. */
const STOP_GRACE_MS = 5_000;

export interface StartDaemonOptions {
  /** argv that runs this same CLI: [node, ...execArgv, main script]. */
  readonly selfCommand: readonly string[];
  /** Arguments after it that run the monitor in the foreground (`start --foreground …`). */
  readonly monitorArgs: readonly string[];
  /** Exit status of a monitor that exits before it wrote its pid file and gave none. */
  readonly noStatusExit: number;
  readonly clock: Clock;
}

/** The monitor that now runs, and where it logs. */
export interface StartedDaemon {
  readonly pid: number;
  readonly logFile: string;
}

/** Starts the monitor detached, logging to the session's log, and waits until it runs. */
export async function startDaemon(
  s: Pick<DaemonSession, 'sessionDir'>,
  opts: StartDaemonOptions,
): Promise<StartedDaemon> {
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
  const [exe, ...pre] = opts.selfCommand;
  if (exe === undefined) throw new Error('self command is empty');
  let exited: number | null = null;
  try {
    const child = spawn(exe, [...pre, ...opts.monitorArgs], { detached: true, stdio: ['ignore', fd, fd] });
    child.on('exit', (code) => {
      exited = code ?? opts.noStatusExit;
    });
    child.unref();
    const deadline = opts.clock.nowMs() + START_WAIT_MS;
    while (opts.clock.nowMs() < deadline) {
      if (child.pid !== undefined && readLivePid(pidFile) === child.pid) return { pid: child.pid, logFile };
      if (exited !== null) break;
      await opts.clock.sleep(POLL_MS);
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

export interface StopDaemonOptions {
  readonly clock: Clock;
  /** Told when the monitor did not stop in time and is killed (the stop still completes). */
  readonly onKill: (pid: number) => void;
}

/** Stops the session's monitor (and so its children) cleanly, killing it only past its stop timeout. */
export async function stopDaemon(s: DaemonSession, opts: StopDaemonOptions): Promise<void> {
  const { clock } = opts;
  const pidFile = path.join(s.sessionDir, DAEMON_FILES.pid);
  const pid = readLivePid(pidFile);
  if (pid === undefined) {
    throw new GeorepError('NOT_RUNNING', `no session daemon runs for ${s.masterRoot} -> ${s.slaveRoot}`);
  }
  // A stopped (paused) process holds SIGTERM until it continues: let it, so it can stop cleanly.
  if (isPaused(s.sessionDir)) resumeWorker(s);
  process.kill(pid, 'SIGTERM');
  const deadline = clock.nowMs() + s.config.stopTimeout * 1000 + STOP_GRACE_MS;
  while (isAlive(pid) && clock.nowMs() < deadline) await clock.sleep(POLL_MS);
  if (isAlive(pid)) {
    // Its children notice the monitor is gone (their IPC channel closes) and stop themselves.
    process.kill(pid, 'SIGKILL');
    opts.onKill(pid);
    while (isAlive(pid)) await clock.sleep(POLL_MS);
  }
  removePidFile(pidFile, pid);
}

/** The last line of the daemon's log: why a monitor that exited at once did. */
function lastLine(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.at(-1) ?? '';
  } catch {
    return `(no log at ${file})`;
  }
}
