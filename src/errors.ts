// GeorepError: the one error class every georep layer throws. Its `code` is stable (tests
// and the wire use it); its message says what happened, where, and what to do next.

export const ERROR_CODES = [
  'CONFIG_INVALID', // a config key or value failed validation
  'CONFIG_UNKNOWN_KEY', // no such option
  'USAGE', // a command line georep cannot act on (missing flag, overlapping roots, …)
  'MASTER_MISSING', // master root does not exist / is not a directory
  'SLAVE_UNWRITABLE', // slave root cannot be created or written
  'NATIVE_MISSING', // the slave agent's native part (native/) is not built on its host
  'FOREIGN_MASTER', // slave is bound to another master volume
  'PATH_ESCAPES_ROOT', // a resolved path leaves the slave root
  'BAD_NAME', // name is '', '.', '..', contains '/' or NUL
  'NAME_TOO_LONG', // name over LIMITS.nameBytes
  'PATH_TOO_LONG', // path over LIMITS.pathBytes
  'LIMIT_EXCEEDED', // a message or batch over its LIMITS entry
  'BAD_REQUEST', // a request that does not match protocol.ts
  'PROTOCOL_VERSION', // hello with an unsupported version
  'CHANGELOG_MALFORMED', // a changelog line that does not parse
  'GFID_UNKNOWN', // an op names a gfid the index does not hold
  'ENTRY_CONFLICT', // an entry op that cannot be applied as asked
  'RSYNC_FAILED', // rsync exited with a non-tolerated code
  'CHANGED_DURING_SYNC', // a file changed on the master while it was copied
  'TAR_FAILED', // tar pipeline failed
  'AGENT_DIED', // the slave agent process exited or broke its pipe
  'STATE_CORRUPT', // a database or state file is unreadable
  'STATE_TOO_NEW', // session state written by a newer georep: refused, never moved aside or rewritten
  'SESSION_BUSY', // another georep process holds the session lock
  'IO_ERROR', // an fs call failed with an errno we do not handle
  'ABORTED', // cancelled through an AbortSignal
  'WATCH_LIMIT', // the kernel's inotify watch or instance limit is reached
  'WATCH_FAILED', // a watcher could not start or broke
  'NOT_RUNNING', // georep stop/status for a session with no daemon
  'SSH_SETUP_NEEDED', // a remote slave whose host key the session has not pinned yet (georep ssh-setup)
  'SSH_REFUSED', // the slave host's key changed, or it refused our key: an operator must act
  'SLAVE_UNREACHABLE', // the slave host cannot be reached now (retried with backoff)
  'GATE_REFUSED', // the forced command of a restricted session key refused a remote command
  'BATCH_LOST', // a batch's outcome is unknown (the agent died or the worker stopped mid-batch)
  'DAEMON_NOT_STARTED', // georep start: the detached session daemon did not come up
  'SOCKET_UNUSABLE', // the status socket's path is too long, or its directory is not this user's
  'INTERNAL', // a georep bug caught by a check (a component used before it was started, …)
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface GeorepErrorOptions extends ErrorOptions {
  /** The path (display form) or gfid the error is about. */
  readonly path?: string;
  /** errno name of the underlying failure, e.g. 'ENOSPC'. */
  readonly errno?: string;
}

export class GeorepError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly errno: string | undefined;

  constructor(code: ErrorCode, message: string, options: GeorepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
    this.errno = options.errno ?? errnoOf(options.cause);
  }
}

export const isGeorepError = (e: unknown): e is GeorepError => e instanceof GeorepError;

/** The errno name ('ENOENT', …) of a Node system error, if it is one. */
export function errnoOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}

/** True when `e` is a Node system error with one of the given errno names. */
export function hasErrno(e: unknown, ...names: readonly string[]): boolean {
  const code = errnoOf(e);
  return code !== undefined && names.includes(code);
}
