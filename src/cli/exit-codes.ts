// Exit codes: what a georep process's status tells a script, by error category.
// Invariant: every ErrorCode maps to exactly one exit code (a new code fails to compile here).

import type { ErrorCode } from '../errors.js';
import { PERMANENT_EXIT } from '../monitor/index.js';

export const EXIT = {
  ok: 0,
  /** The sync ran but some entries failed, or it stopped on a sync error. */
  syncFailed: 1,
  /** Bad command line, bad option value, unknown option, missing master. */
  usage: 2,
  /** The slave side: agent died, slave refused or not writable, protocol breach. */
  slave: 3,
  /** A bug in georep: an error that is not a GeorepError. */
  internal: 4,
  /**
   * The session daemon cannot run here (watch limits, no usable status socket), did not start,
   * or is not running (stop, status).
   */
  daemon: 5,
  /**
   * A daemon child (recorder, worker) met an error restarting cannot fix (bad config, foreign
   * slave, watch limits): the monitor stops the session and reports the cause instead of
   * restarting it in a loop. Never the exit code of a command a user runs.
   */
  permanent: PERMANENT_EXIT,
  /** Stopped by SIGINT, SIGTERM or SIGHUP. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  CONFIG_INVALID: EXIT.usage,
  CONFIG_UNKNOWN_KEY: EXIT.usage,
  USAGE: EXIT.usage,
  MASTER_MISSING: EXIT.usage,
  SLAVE_UNWRITABLE: EXIT.slave,
  NATIVE_MISSING: EXIT.slave,
  FOREIGN_MASTER: EXIT.slave,
  PATH_ESCAPES_ROOT: EXIT.slave,
  BAD_NAME: EXIT.slave,
  NAME_TOO_LONG: EXIT.slave,
  PATH_TOO_LONG: EXIT.slave,
  LIMIT_EXCEEDED: EXIT.slave,
  BAD_REQUEST: EXIT.slave,
  PROTOCOL_VERSION: EXIT.slave,
  AGENT_DIED: EXIT.slave,
  SSH_SETUP_NEEDED: EXIT.slave,
  SSH_REFUSED: EXIT.slave,
  SLAVE_UNREACHABLE: EXIT.slave,
  GATE_REFUSED: EXIT.slave,
  CHANGELOG_MALFORMED: EXIT.syncFailed,
  GFID_UNKNOWN: EXIT.syncFailed,
  ENTRY_CONFLICT: EXIT.syncFailed,
  RSYNC_FAILED: EXIT.syncFailed,
  CHANGED_DURING_SYNC: EXIT.syncFailed,
  BATCH_LOST: EXIT.syncFailed,
  TAR_FAILED: EXIT.syncFailed,
  STATE_CORRUPT: EXIT.syncFailed,
  STATE_TOO_NEW: EXIT.usage,
  SESSION_BUSY: EXIT.syncFailed,
  IO_ERROR: EXIT.syncFailed,
  ABORTED: EXIT.interrupted,
  WATCH_LIMIT: EXIT.daemon,
  WATCH_FAILED: EXIT.daemon,
  NOT_RUNNING: EXIT.daemon,
  DAEMON_NOT_STARTED: EXIT.daemon,
  SOCKET_UNUSABLE: EXIT.daemon,
  INTERNAL: EXIT.internal,
};

export const exitCodeFor = (code: ErrorCode): ExitCode => BY_CODE[code];

/** The table shown in `georep --help` and the README. */
export const EXIT_CODE_HELP = `Exit codes:
  ${EXIT.ok}    success (sync: every entry replicated)
  ${EXIT.syncFailed}    sync failures: some entries did not reach the slave, or a sync error stopped the run
  ${EXIT.usage}    usage: bad command line, unknown option, invalid value, master missing, state of a newer georep
  ${EXIT.slave}    slave problem: agent died, slave refused (foreign master, path escape), protocol error
  ${EXIT.internal}    internal error (a bug; rerun with GEOREP_DEBUG=1 and report the stack trace)
  ${EXIT.daemon}    daemon: the session is not running, did not start, or cannot run here (inotify limits, status socket)
  ${EXIT.interrupted}  interrupted (SIGINT/SIGTERM/SIGHUP)`;
