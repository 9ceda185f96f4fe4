// The monitor process body (`georep start --foreground`, or what `georep start` detaches): one
// per session, it holds the session lock and the pid file and supervises the recorder and the
// worker, restarting either after a crash. It lives here, not in the CLI, because it is the
// monitor: the CLI only parses and hands over what this needs. Invariants: every session process
// is a child of the monitor and dies with it; an error restarting cannot fix stops the session
// with its cause (the fault file's code) instead of looping.

import path from 'node:path';
import type { Clock } from '../clock.js';
import { GeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { DAEMON_FILES } from '../session-files.js';
import { PERMANENT_EXIT } from './child-process.js';
import { DAEMON_ROLES } from './daemon-role.js';
import type { DaemonRole } from './daemon-role.js';
import type { DaemonSession } from './daemon-session.js';
import { clearFault, readFault } from './fault-file.js';
import { withHeapCap } from './heap-cap.js';
import { MonitorStatus } from './monitor-state.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { Supervisor } from './supervisor.js';

export interface MonitorProcessOptions {
  /** argv that runs this same CLI: [node, ...execArgv, main script]; the heap cap is added to it. */
  readonly selfCommand: readonly string[];
  /** Arguments after it that run the child of `role` (its hidden verb, roots and flags). */
  readonly childArgs: (role: DaemonRole) => readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Turns SIGINT/SIGTERM/SIGHUP into an abort for the duration of the run; release when done. */
  readonly trapSignals: () => { readonly signal: AbortSignal; readonly release: () => void };
  /**
   * Started once the monitor runs (pid file written), aborted as it stops: systemd's status
   * line. Not awaited: it must not hold a stop.
   */
  readonly alongside?: ((signal: AbortSignal) => void) | undefined;
}

/** The monitor: supervises recorder and worker until stopped or a child fails for good. */
export async function runMonitor(s: DaemonSession, opts: MonitorProcessOptions): Promise<void> {
  const { SessionLock } = await import('../master/session-lock.js');
  const { clock, log } = opts;
  const lock = SessionLock.acquire(s.sessionDir);
  const pidFile = path.join(s.sessionDir, DAEMON_FILES.pid);
  clearFault(s.sessionDir);
  const status = new MonitorStatus(
    { faultyAfterExits: s.config.faultyAfterExits, worker: 'worker', recorder: 'recorder' },
    {
      file: path.join(s.sessionDir, DAEMON_FILES.state),
      sessionDir: s.sessionDir,
      clock,
      log,
      pid: process.pid,
    },
  );
  status.begin();
  const supervisor = new Supervisor(
    DAEMON_ROLES.map((role) => ({
      name: role,
      command: [...withHeapCap(opts.selfCommand, s.config.daemonHeap), ...opts.childArgs(role)],
    })),
    {
      backoff: {
        initialMs: s.config.restartBackoff * 1000,
        maxMs: Math.max(s.config.restartBackoff, s.config.restartBackoffMax) * 1000,
        stableMs: Math.max(s.config.restartBackoff, s.config.restartBackoffMax) * 1000,
      },
      permanentExitCodes: new Set([PERMANENT_EXIT]),
      stopTimeoutMs: s.config.stopTimeout * 1000,
      clock,
      log,
    },
    {
      onStart: (name, pid) => status.started(name, pid),
      onExit: (exit, restartInMs) => status.exited(exit, restartInMs),
      onMessage: (name, msg) => status.message(name, msg),
    },
  );
  const { signal, release } = opts.trapSignals();
  writePidFile(pidFile);
  const alongside = new AbortController();
  // The children start before the first line: writing it loads winston (0.1 s of this thread
  // in a profile), which the recorder and worker, and so a restart's catch-up, need not wait for.
  const failed = new AbortController();
  const running = supervisor.run(AbortSignal.any([signal, failed.signal]));
  try {
    try {
      log.info('session daemon started', { master: s.masterRoot, slave: s.slaveRoot, pid: process.pid });
      opts.alongside?.(alongside.signal);
    } catch (e) {
      failed.abort(); // no child left running behind a line that could not be written
      await running.catch(() => undefined);
      throw e;
    }
    const result = await running;
    if (result.kind === 'permanent') {
      const fault = readFault(s.sessionDir);
      const cause = `${result.exit.name} stopped for good: ${fault?.message ?? `exit code ${String(result.exit.code)}`}`;
      status.stoppedForGood(cause);
      throw new GeorepError(fault?.code ?? 'USAGE', cause);
    }
    status.stopped();
    log.info('session daemon stopped');
  } finally {
    alongside.abort();
    release();
    removePidFile(pidFile, process.pid);
    lock.release();
  }
}
