// Session resolution shared by the verbs that act on a master/slave pair: roots, the session
// folder, and the config (schema ← session ← flags). Invariant: bad input is refused before
// the session folder is created or anything is spawned.

import type { Config } from '../config.js';
import { resolveConfig } from './config-loader.js';
import type { CliContext } from './context.js';
import { checkDisjoint, realpathOfExistingPart, resolveMasterRoot, resolveSlaveRoot } from './roots.js';
import { readSessionValues, sessionConfPath } from './session-values.js';
import type { RawValue } from './values.js';
import { ensureSessionDir, resolveWorkdir, sessionDirOf } from './workdir.js';

export interface PreparedSession {
  /** The workdir holding the session folder (children of the daemon are given it). */
  readonly workdir: string;
  readonly masterRoot: string;
  readonly slaveRoot: string;
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
  const slaveRoot = resolveSlaveRoot(slave);
  const workdir = resolveWorkdir(workdirFlag, ctx.io.env);
  const sessionPath = sessionDirOf(workdir, masterRoot, slaveRoot);
  checkDisjoint({ master: masterRoot, slave: slaveRoot });
  const sessionReal = realpathOfExistingPart(sessionPath);
  checkDisjoint({ master: masterRoot, 'session folder': sessionReal });
  checkDisjoint({ slave: slaveRoot, 'session folder': sessionReal });
  const config = resolveConfig(
    [
      { source: sessionConfPath(sessionPath), values: readSessionValues(sessionPath) },
      { source: 'the command line', values: flagValues },
    ],
    ctx.schema,
  );
  return { workdir, masterRoot, slaveRoot, sessionDir: ensureSessionDir(workdir, masterRoot, slaveRoot), config };
}
