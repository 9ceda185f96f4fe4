// The session as the daemon's processes see it (the roles the monitor runs are daemon-role.ts).
// It exists so the monitor, the pause protocol and the start/stop control take the few session
// facts they use, not the CLI's whole view of a session (src/cli/session.ts satisfies it).

import type { Config } from '../config.js';

export interface DaemonSession {
  /** Absolute, real path of the master root. */
  readonly masterRoot: string;
  /** The slave as the session names it (a local path, or ssh://user@host:port/path). */
  readonly slaveRoot: string;
  /** This session's folder in the workdir (exists): pid file, monitor state, fault, log. */
  readonly sessionDir: string;
  readonly config: Config;
}
