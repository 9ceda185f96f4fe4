// Session resolution shared by the verbs that act on a master/slave pair: roots, the session
// folder, and the config (schema ← session ← flags). Invariant: bad input is refused before
// the session folder is created or anything is spawned.

import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { withHeapCap } from '../monitor/heap-cap.js';
import { resolveConfig } from './config-loader.js';
import type { CliContext } from './context.js';
import type { SlaveAddress } from '../slave/address.js';
import { checkDisjoint, realpathOfExistingPart, resolveMasterRoot, resolveSlave } from './roots.js';
import { readSessionValues, sessionConfPath } from './session-values.js';
import { openStateFormat } from './state-format.js';
import type { RawValue } from './values.js';
import { ensureSessionDir, resolveWorkdir, sessionDirOf } from './workdir.js';

export interface PreparedSession {
  /** The workdir holding the session folder (children of the daemon are given it). */
  readonly workdir: string;
  readonly masterRoot: string;
  /** The slave's session name: its real local path, or its canonical ssh:// address. */
  readonly slaveRoot: string;
  readonly slave: SlaveAddress;
  readonly sessionDir: string;
  readonly config: Config;
}

/** Resolves roots and config and refuses bad input before creating the session folder. */
export function prepareSession(
  ctx: CliContext,
  master: string,
  slave: string,
  workdirFlag: string | undefined,
  flagValues: Readonly<Record<string, RawValue>>,
): PreparedSession {
  const masterRoot = resolveMasterRoot(master);
  const { slave: address, name: slaveRoot } = resolveSlave(slave, flagPort(flagValues));
  const workdir = resolveWorkdir(workdirFlag, ctx.io.env);
  const sessionPath = sessionDirOf(workdir, masterRoot, slaveRoot);
  const sessionReal = realpathOfExistingPart(sessionPath);
  checkDisjoint({ master: masterRoot, 'session folder': sessionReal });
  openStateFormat(sessionPath); // before its options are read: a newer georep's may not parse here
  // A remote slave is on another host: its path cannot meet ours.
  if (address.kind === 'local') {
    checkDisjoint({ master: masterRoot, slave: slaveRoot });
    checkDisjoint({ slave: slaveRoot, 'session folder': sessionReal });
  }
  const config = resolveConfig(
    [
      { source: sessionConfPath(sessionPath), values: readSessionValues(sessionPath) },
      { source: 'the command line', values: flagValues },
    ],
    ctx.schema,
  );
  return {
    workdir,
    masterRoot,
    slaveRoot,
    slave: address,
    sessionDir: ensureSessionDir(workdir, masterRoot, slaveRoot),
    config,
  };
}

/** A --ssh-port on the command line (it names the port of a slave address written without one). */
export function flagPort(flagValues: Readonly<Record<string, RawValue>>): number {
  const raw = flagValues['ssh-port'];
  const n = raw === undefined ? 0 : Number(raw);
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : 0;
}

/**
 * The command that starts the local slave agent of a session, its V8 heap capped as a daemon
 * process's is (daemon-heap): the agent of a one-shot sync or a verify keeps little alive, but
 * uncapped V8 lets its heap grow lazily far past that (a 200k-file first sync: 111 MiB peak,
 * 77 MiB capped).
 */
export function agentCommandOf(ctx: CliContext, s: PreparedSession): string[] {
  return [...withHeapCap(ctx.io.agentCommand, s.config.daemonHeap), '--log-level', s.config.logLevel];
}

/**
 * What a verb hands the code that runs a session (a sync, a verify, a repair, the worker): the
 * prepared session with its agent command, log, clock and stop signal.
 */
export function sessionRunOf(ctx: CliContext, s: PreparedSession, log: Logger, signal: AbortSignal) {
  return { ...s, agentCommand: agentCommandOf(ctx, s), log, clock: ctx.io.clock, signal };
}
