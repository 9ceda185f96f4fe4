#!/usr/bin/env node
// The slave agent's own entry, for a master that spawns it on this host: what `georep slave
// ROOT` runs, without loading the CLI around it (commander, the config schema): the agent
// answers its first request in about half the time. Over ssh, `georep slave` takes the same way
// (main.ts, agent-args.ts).
// Usage: agent-main.js [--log-level LEVEL] [--idle-timeout SECONDS] [--] ROOT

import { parseAgentArgs } from './agent-args.js';
import { runAgentProcess } from './agent-run.js';

const USAGE_EXIT = 2;

const args = parseAgentArgs(process.argv.slice(2));
if (args === undefined) {
  process.stderr.write('usage: agent-main.js [--log-level error|warn|info|debug] [--idle-timeout SECONDS] [--] ROOT\n');
  process.exit(USAGE_EXIT);
}
process.exit(await runAgentProcess(args));
