// A daemon child's frame: what every process the monitor supervises (recorder, worker) does
// around its body. It exists so both roles end the same way: they stop when signalled or when
// the monitor is gone (their IPC channel closes), leave why they failed where the monitor reads
// it, and say "stop for good" (PERMANENT_EXIT) for an error no restart can fix instead of being
// restarted in a loop.

import type { Clock } from '../clock.js';
import { GeorepError, isGeorepError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { DaemonRole } from './daemon-role.js';
import { writeExitCause } from './exit-cause.js';
import { writeFault } from './fault-file.js';
import { exitWhenParentGone } from './parent-watch.js';

/**
 * The exit status of a child that met an error no restart can fix: the supervisor stops the
 * session on it (permanentExitCodes). Never the exit code of a command a user runs.
 */
export const PERMANENT_EXIT = 64;

/** Errors no restart can fix: the child says so (PERMANENT_EXIT) and the monitor stops. */
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

export interface DaemonChildOptions {
  readonly role: DaemonRole;
  readonly sessionDir: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** Turns SIGINT/SIGTERM/SIGHUP into an abort for the duration of the run; release when done. */
  readonly trapSignals: () => { readonly signal: AbortSignal; readonly release: () => void };
}

/**
 * How the child ended: 'done' when its body returned (stopped), 'permanent' when it met an
 * error no restart can fix (the fault file says which; exit with PERMANENT_EXIT). Any other
 * error is thrown, after its cause is recorded, for the caller to exit with its code.
 */
export type DaemonChildOutcome = 'done' | 'permanent';

/** Runs a recorder or worker body until the monitor stops it or goes away. */
export async function runDaemonChild(
  opts: DaemonChildOptions,
  body: (stop: AbortSignal) => Promise<void>,
): Promise<DaemonChildOutcome> {
  const { role, log } = opts;
  const { signal, release } = opts.trapSignals();
  const gone = new AbortController();
  const stopWatch = exitWhenParentGone(() => gone.abort(new GeorepError('ABORTED', 'the monitor is gone')));
  const stop = AbortSignal.any([signal, gone.signal]);
  try {
    await body(stop);
    return 'done';
  } catch (e) {
    if (!stop.aborted) recordExitCause(opts.sessionDir, role, e, opts.clock, log); // a stop is no failure
    if (isGeorepError(e) && PERMANENT.has(e.code)) {
      writeFault(opts.sessionDir, { proc: role, code: e.code, message: e.message });
      log.error(e.message, { code: e.code });
      return 'permanent';
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
function recordExitCause(sessionDir: string, role: string, error: unknown, clock: Clock, log: Logger): void {
  try {
    writeExitCause(sessionDir, role, error, clock.nowMs());
  } catch (w) {
    log.warn('cannot record why this process exits', { error: w instanceof Error ? w.message : String(w) });
  }
}
