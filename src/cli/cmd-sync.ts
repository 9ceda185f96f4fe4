// `georep sync --oneshot MASTER SLAVE`: one full replication pass, with progress and a summary.
// Invariant: exit 0 only when the report lists no failures; the config is resolved once
// (schema ← session ← flags) before anything is created or spawned.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GeorepError } from '../errors.js';
import { createLogger } from '../log.js';
import type { OneshotReport } from '../master/index.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { addSchemaOptions, collectSchemaFlags } from './flags.js';
import { createProgress } from './progress.js';
import { prepareSession, sessionRunOf } from './session.js';
import type { PreparedSession } from './session.js';
import { runTrapped } from './stop-trap.js';
import { heapCappedAlready, rerunUnderHeapCap } from './heap-cap-rerun.js';
import { exitWhenParentGone } from '../monitor/parent-watch.js';
import { formatSummary } from './summary.js';

export const WORKDIR_HELP =
  'where session state lives (default: $GEOREP_WORKDIR, else /var/lib/georep as root, else ${XDG_STATE_HOME:-~/.local/state}/georep)';

const SYNC_EXAMPLES = `
Examples:
  $ georep sync --oneshot /srv/data /backup/data
  $ georep sync --oneshot --sync-jobs 8 --ignore-deletes /srv/data /backup/data`;

interface SyncFlags {
  readonly oneshot?: boolean;
  readonly workdir?: string;
  readonly logFile?: string;
  readonly allowMassDelete?: boolean;
}

export function addSyncCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('sync')
    .summary('replicate MASTER into SLAVE once (--oneshot: one full pass)')
    .description(
      'Replicate MASTER into SLAVE. With --oneshot: crawl the whole master once, copy every entry, ' +
        'file and attribute to the slave, print a summary and exit (georep start replicates continuously).',
    )
    .argument('<master>', 'directory tree to replicate (must exist)')
    .argument('<slave>', 'local directory to replicate into (created if missing)')
    .option('--oneshot', 'one full pass, then exit (required for now)')
    .option('--workdir <dir>', WORKDIR_HELP)
    .option('--log-file <file>', 'append JSON log lines to this file instead of human lines on stderr')
    .option(
      '--allow-mass-delete',
      'delete on the slave even what the mass-delete brake refuses (over delete-brake-percent or delete-brake-count, or an emptied, replaced or unmounted master root)',
    );
  const attributes = addSchemaOptions(cmd, ctx.schema);
  cmd.addHelpText('after', SYNC_EXAMPLES);
  cmd.action(async (master: string, slave: string, _opts: unknown, command: Command) => {
    const flags = command.opts<SyncFlags>();
    if (flags.oneshot !== true) {
      throw new GeorepError(
        'USAGE',
        'georep sync needs --oneshot (one full pass); for continuous replication run georep start MASTER SLAVE',
      );
    }
    const session = prepareSession(ctx, master, slave, flags.workdir, collectSchemaFlags(command, attributes));
    if (!heapCappedAlready(ctx.io.heapLimitMiB, session.config.daemonHeap)) {
      ctx.setExit(await rerunUnderHeapCap(ctx.io, session.config.daemonHeap));
      return;
    }
    await runOneshotSync(
      ctx,
      session,
      flags.logFile === undefined ? undefined : resolve(flags.logFile),
      flags.allowMassDelete === true,
    );
  });
}

async function runOneshotSync(
  ctx: CliContext,
  s: PreparedSession,
  logFile: string | undefined,
  allowMassDelete: boolean,
): Promise<void> {
  const log = createLogger({ level: s.config.logLevel, file: logFile, journal: ctx.io.stderrIsJournal });
  const progress = createProgress({
    tty: ctx.io.stderrIsTTY && logFile === undefined,
    stream: ctx.io.stderr,
    clock: ctx.io.clock,
    log,
  });
  // Loaded here, not at the top: `config` and `slave` never load the master's pipeline.
  const { runOneshot } = await import('../master/index.js');
  // Run by rerunUnderHeapCap or bin/georep: the process that started this one is gone (even SIGKILLed).
  const orphaned = new AbortController();
  const unwatch = exitWhenParentGone(() =>
    orphaned.abort(new GeorepError('ABORTED', 'the georep process that started this sync is gone')),
  );
  const report = await runTrapped(ctx.io, async (trapped) => {
    const signal = AbortSignal.any([trapped, orphaned.signal]);
    let done: OneshotReport | undefined;
    try {
      log.debug('oneshot sync starting', { master: s.masterRoot, slave: s.slaveRoot, sessionDir: s.sessionDir });
      done = await runOneshot({
        ...sessionRunOf(ctx, s, log, signal),
        onProgress: (p) => progress.update(p),
        allowMassDelete,
      });
      return done;
    } finally {
      progress.finish(done !== undefined);
      unwatch();
    }
  });
  ctx.io.stdout.write(formatSummary(report, s.masterRoot, s.slaveRoot));
  ctx.setExit(report.failures.length === 0 ? EXIT.ok : EXIT.syncFailed);
}
