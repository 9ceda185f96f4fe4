// Start-up environment: the few process-wide inputs georep honours, captured once by main.ts.
// Invariant: nothing else reads process.env; components get these values passed in.

/** The environment a georep process starts with, already interpreted. */
export interface StartupEnv {
  /** GEOREP_WORKDIR: the workdir when --workdir is not given (empty counts as unset). */
  readonly workdir: string | undefined;
  /** XDG_STATE_HOME, used only when absolute (as the XDG spec asks). */
  readonly xdgStateHome: string | undefined;
  /** The user's home directory. */
  readonly home: string;
  /** Running as root (uid 0): the workdir defaults to /var/lib/georep. */
  readonly isRoot: boolean;
  /** GEOREP_DEBUG=1: print stack traces on errors. */
  readonly debug: boolean;
  /** JOURNAL_STREAM, set by systemd when stdout/stderr go to journald (`<dev>:<inode>`). */
  readonly journalStream: string | undefined;
  /** NOTIFY_SOCKET, set by systemd (NotifyAccess=) for status updates through systemd-notify. */
  readonly notifySocket: string | undefined;
}

export function readStartupEnv(
  env: Readonly<Record<string, string | undefined>>,
  uid: number | undefined,
  home: string,
): StartupEnv {
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  return Object.freeze({
    workdir: nonEmpty(env['GEOREP_WORKDIR']),
    xdgStateHome: nonEmpty(env['XDG_STATE_HOME']),
    home,
    isRoot: uid === 0,
    debug: env['GEOREP_DEBUG'] === '1',
    journalStream: nonEmpty(env['JOURNAL_STREAM']),
    notifySocket: nonEmpty(env['NOTIFY_SOCKET']),
  });
}
