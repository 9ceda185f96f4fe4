// Runs the slave agent for a parsed command line (agent-args.ts) on this process's stdin and
// stdout: the body both agent entries share (agent-main.ts, and `georep slave` in main.ts).
// Invariant: stdout carries only the wire; the log goes to stderr as JSON lines, which the
// master re-logs with their levels (SlaveClient).

import { resolve } from 'node:path';
import { isGeorepError } from '../errors.js';
import { createLogger } from '../log.js';
import { runAgent } from '../slave/index.js';
import type { AgentArgs } from './agent-args.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit status of an agent that could not serve (its slave root unusable, say). */
const FAILURE_EXIT = 3;

/** Serves until the master says bye or goes; resolves with the exit status. */
export async function runAgentProcess(args: AgentArgs): Promise<number> {
  const log = createLogger({ level: args.level, stderrFormat: 'json' });
  // A session's stop signals the worker's whole process group, its local agent with it: the
  // agent answers the request in hand and closes its index before it exits. A second signal
  // ends it at once (Node's default).
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  for (const sig of STOP_SIGNALS) process.once(sig, onSignal);
  try {
    await runAgent(resolve(args.root), process.stdin, process.stdout, log, {
      ...(args.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: args.idleTimeoutMs }),
      stop: stop.signal,
    });
    return 0;
  } catch (e) {
    const message = isGeorepError(e) ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`georep slave: ${message.replace(/\n/g, '\\n')}\n`);
    return FAILURE_EXIT;
  }
}
