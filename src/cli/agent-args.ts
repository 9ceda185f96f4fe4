// The agent's command line as a master sends it: `[--log-level L] [--idle-timeout S] [--] ROOT`.
// Parsed without commander or the config schema, so that the agent's process loads only slave
// code: the local entry (agent-main.ts) always takes this way, and `georep slave` (main.ts)
// takes it for any line this parser accepts, which is every line a master sends over ssh. A
// line it does not accept (--help, --log-file, a mistake) goes to the CLI, which says what is wrong.

import { LOG_LEVELS } from '../config.js';
import type { LogLevel } from '../config.js';

export interface AgentArgs {
  readonly root: string;
  readonly level: LogLevel;
  /** Exit when the master sends nothing for this long (undefined: wait for ever). */
  readonly idleTimeoutMs?: number;
}

/** ROOT and the options above, in any order before ROOT; undefined for anything else. */
export function parseAgentArgs(argv: readonly string[]): AgentArgs | undefined {
  let root: string | undefined;
  let level: LogLevel = 'info';
  let idleTimeoutMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (root !== undefined) return undefined;
    if (arg === '--log-level') {
      const found = LOG_LEVELS.find((l) => l === argv[i + 1]);
      if (found === undefined) return undefined;
      level = found;
      i++;
    } else if (arg === '--idle-timeout') {
      const s = argv[i + 1] ?? '';
      if (!/^[1-9]\d{0,8}$/.test(s)) return undefined;
      idleTimeoutMs = Number(s) * 1000;
      i++;
    } else if (arg === '--') {
      if (i !== argv.length - 2) return undefined;
      root = argv[i + 1];
      i++;
    } else if (!arg.startsWith('-')) root = arg;
    else return undefined;
  }
  if (root === undefined || root === '') return undefined;
  return idleTimeoutMs === undefined ? { root, level } : { root, level, idleTimeoutMs };
}
