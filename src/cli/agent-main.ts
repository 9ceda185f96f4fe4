#!/usr/bin/env node
// The slave agent's own entry, for a master that spawns it on this host: what `georep slave
// ROOT` runs, without loading the CLI around it (commander, the config schema): the agent
// answers its first request in about half the time. `georep slave` stays for ssh use.
// Usage: agent-main.js [--log-level LEVEL] ROOT

import { resolve } from 'node:path';
import { LOG_LEVELS } from '../config.js';
import type { LogLevel } from '../config.js';
import { isGeorepError } from '../errors.js';
import { createLogger } from '../log.js';
import { runAgent } from '../slave/index.js';

const USAGE_EXIT = 2;
const FAILURE_EXIT = 3;

/** ROOT and an optional `--log-level LEVEL`, in either order; undefined for anything else. */
function parse(argv: readonly string[]): { root: string; level: LogLevel } | undefined {
  let root: string | undefined;
  let level: LogLevel = 'info';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--log-level') {
      const found = LOG_LEVELS.find((l) => l === argv[i + 1]);
      if (found === undefined) return undefined;
      level = found;
      i++;
    } else if (root === undefined && !arg.startsWith('-')) root = arg;
    else return undefined;
  }
  return root === undefined ? undefined : { root, level };
}

const args = parse(process.argv.slice(2));
if (args === undefined) {
  process.stderr.write('usage: agent-main.js ROOT [--log-level error|warn|info|debug]\n');
  process.exit(USAGE_EXIT);
}
// The master reads stderr and re-logs each JSON line with its level (SlaveClient).
const log = createLogger({ level: args.level, stderrFormat: 'json' });
try {
  await runAgent(resolve(args.root), process.stdin, process.stdout, log);
  process.exit(0);
} catch (e) {
  const message = isGeorepError(e) ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
  process.stderr.write(`georep slave: ${message.replace(/\n/g, '\\n')}\n`);
  process.exit(FAILURE_EXIT);
}
