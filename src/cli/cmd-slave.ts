// `georep slave ROOT`: the slave agent, speaking the JSON RPC of src/slave/protocol.ts on
// stdin/stdout. Invariant: stdout carries only the wire; every log line goes to stderr (or --log-file).

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GeorepError } from '../errors.js';
import { createLogger } from '../log.js';
import { resolveConfig } from './config-loader.js';
import type { CliContext } from './context.js';
import type { RawValue } from './values.js';

const SLAVE_EXAMPLES = `
Normally started by the master, not by hand (locally, or as \`ssh HOST georep slave ROOT\`).

Example:
  $ georep slave /backup/data < requests > replies`;

export function addSlaveCommand(program: Command, ctx: CliContext): void {
  program
    .command('slave')
    .summary('run the slave agent on stdin/stdout (started by a master)')
    .description(
      'Run the slave agent for ROOT: apply entry ops, staged data and metadata sent by a master on stdin/stdout.',
    )
    .argument('<root>', 'slave directory the agent is confined to (created if missing)')
    .option('--log-level <level>', 'error, warn, info or debug (default from conf/georep.conf)')
    .option('--log-file <file>', 'append JSON log lines to this file instead of stderr')
    .option(
      '--idle-timeout <seconds>',
      'exit when the master sends nothing for this long (it pings while idle; over ssh a dropped link may never close stdin)',
    )
    .addHelpText('after', SLAVE_EXAMPLES)
    .action(async (root: string, opts: { logLevel?: string; logFile?: string; idleTimeout?: string }) => {
      const idle = opts.idleTimeout === undefined ? undefined : Number(opts.idleTimeout);
      if (idle !== undefined && !(Number.isInteger(idle) && idle > 0)) {
        throw new GeorepError('USAGE', `--idle-timeout expects whole seconds > 0, got ${String(opts.idleTimeout)}`);
      }
      const values: Record<string, RawValue> = opts.logLevel === undefined ? {} : { 'log-level': opts.logLevel };
      const config = resolveConfig([{ source: 'the command line', values }], ctx.schema);
      // Without a log file the agent's stderr goes to the master, which re-logs it: JSON lines.
      const log = createLogger(
        opts.logFile === undefined
          ? { level: config.logLevel, stderrFormat: 'json' }
          : { level: config.logLevel, file: resolve(opts.logFile) },
      );
      // Loaded here, not at the top: the agent process loads only slave code, the other verbs none of it.
      const { runAgent } = await import('../slave/index.js');
      // A stop signal lets the agent close its index (agent-run.ts says why).
      const { signal, release } = ctx.io.trapSignals();
      try {
        await runAgent(resolve(root), ctx.io.stdin, ctx.io.stdout, log, {
          ...(idle === undefined ? {} : { idleTimeoutMs: idle * 1000 }),
          stop: signal,
        });
      } finally {
        release();
      }
    });
}
