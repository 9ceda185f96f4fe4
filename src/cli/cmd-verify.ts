// `georep verify MASTER SLAVE` compares the slave with the master, streaming one JSON line per
// entry (--json) or printing a summary for a person; `georep repair MASTER SLAVE` re-queues
// what verify's lines call divergent (and `verify --repair` does both in one pass). Invariant:
// verify exits 0 only when nothing diverges (or, with --repair, when all of it was repaired).
// The walk and the repair live in src/verify; this file parses, prints and picks the exit code.

import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { GeorepError, isGeorepError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Logger } from '../log.js';
import type { Delivery, EntryLine, RepairReport, VerifyProgress } from '../verify/index.js';
import type { CliContext } from './context.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { addSchemaOptions, collectSchemaFlags } from './flags.js';
import { prepareSession, sessionRunOf } from './session.js';
import type { PreparedSession } from './session.js';
import { runTrapped } from './stop-trap.js';
import { formatSummary } from './summary.js';

const VERIFY_EXAMPLES = `
Examples:
  $ georep verify /srv/data /backup/data                      # metadata, summary for a person
  $ georep verify --checksum --json /srv/data /backup/data > v.jsonl
  $ georep verify --checksum --sample 0.01 /srv/data backup@host:/data
  $ georep verify --repair /srv/data /backup/data             # verify, then repair what diverges`;

const REPAIR_EXAMPLES = `
Examples:
  $ georep verify --json /srv/data /backup/data > v.jsonl; georep repair /srv/data /backup/data --from v.jsonl
  $ georep verify --json --checksum /srv/data /backup/data | georep repair /srv/data /backup/data --from -`;

interface CommonFlags {
  readonly allowMassDelete?: boolean;
  readonly workdir?: string;
  readonly logFile?: string;
  readonly queueOnly?: boolean;
}

interface VerifyFlags extends CommonFlags {
  readonly checksum?: boolean;
  readonly sample?: string;
  readonly json?: boolean;
  readonly restart?: boolean;
  readonly repair?: boolean;
}

interface RepairFlags extends CommonFlags {
  readonly from?: string;
}

const ALLOW_MASS_DELETE_HELP =
  'remove entries only the slave has even when the mass-delete brake refuses (over delete-brake-percent or delete-brake-count of the entries verify saw, or an empty master root)';
const QUEUE_ONLY_HELP =
  'only queue (and remove what is only on the slave): leave syncing to the daemon or the next georep sync --oneshot';

export function addVerifyCommands(program: Command, ctx: CliContext): void {
  const verify = program
    .command('verify')
    .summary('compare SLAVE with MASTER entry by entry (one JSON line per entry with --json)')
    .description(
      'Walk MASTER and SLAVE side by side, a directory at a time, and judge every entry: ok, missing, ' +
        'extra, type, size, mode, owner, mtime, content (--checksum), target or links. Without ' +
        '--checksum only metadata is compared. An interrupted verify resumes where it stopped. ' +
        'Exit 0 only when nothing diverges.',
    )
    .argument('<master>', 'the master directory tree')
    .argument('<slave>', 'its slave: a local directory, [user@]host:/path or ssh://[user@]host[:port]/path')
    .option('--checksum', 'also compare file content (SHA-256 on each side; only digests cross the wire)')
    .option('--sample <fraction>', 'examine only this fraction of entries, chosen at random (0 < fraction <= 1)')
    .option('--json', 'stream one JSON line per entry examined, then one with the totals')
    .option('--restart', 'ignore the position an interrupted verify saved: start from the root')
    .option('--repair', 'repair what diverges in the same pass (as georep repair does)')
    .option('--queue-only', `with --repair: ${QUEUE_ONLY_HELP}`)
    .option('--allow-mass-delete', `with --repair: ${ALLOW_MASS_DELETE_HELP}`);
  sessionVerb<VerifyFlags>(verify, ctx, VERIFY_EXAMPLES, (flags) => {
    const sample = parseSample(flags.sample);
    return (s) => verifyAction(ctx, s, flags, sample);
  });

  const repair = program
    .command('repair')
    .summary("re-queue what verify's lines call divergent, and sync it")
    .description(
      'Read the lines of georep verify --json (from a file, or - for a pipe) and sync every divergent entry ' +
        'again through the session, where the failure ledger tracks it until it lands; entries only the ' +
        'slave has are removed (kept with ignore-deletes). Unless the daemon runs the session (it then ' +
        'syncs them), a one-shot sync follows.',
    )
    .argument('<master>', 'the master directory tree')
    .argument('<slave>', 'its slave, as given to verify')
    .option('--from <file>', 'verify --json output; - reads standard input', '-')
    .option('--queue-only', QUEUE_ONLY_HELP)
    .option('--allow-mass-delete', ALLOW_MASS_DELETE_HELP);
  sessionVerb<RepairFlags>(repair, ctx, REPAIR_EXAMPLES, (flags) => (s) => repairAction(ctx, s, flags));
}

/**
 * What verify and repair end with: --workdir and --log-file, every schema option as a flag, the
 * examples, and an action that hands the flags to `accept` first (bad input is refused before
 * the session folder is created), then runs what it returns on the resolved session.
 */
function sessionVerb<F extends CommonFlags>(
  cmd: Command,
  ctx: CliContext,
  examples: string,
  accept: (flags: F) => (s: PreparedSession) => Promise<void>,
): void {
  cmd
    .option('--workdir <dir>', WORKDIR_HELP)
    .option('--log-file <file>', 'append JSON log lines to this file instead of human lines on stderr');
  const attributes = addSchemaOptions(cmd, ctx.schema);
  cmd.addHelpText('after', examples);
  cmd.action(async (master: string, slave: string, _opts: unknown, command: Command) => {
    const flags = command.opts<F>();
    const run = accept(flags);
    await run(prepareSession(ctx, master, slave, flags.workdir, collectSchemaFlags(command, attributes)));
  });
}

async function verifyAction(ctx: CliContext, s: PreparedSession, flags: VerifyFlags, sample: number): Promise<void> {
  const log = loggerFor(s, flags);
  const v = await import('../verify/index.js');
  const progress = v.verifyProgress(ctx.io.stderrIsTTY && flags.logFile === undefined, ctx.io.stderr, ctx.io.clock);
  const first = new v.FirstDivergences();
  const json = flags.json === true;
  await runTrapped(ctx.io, async (trapped) => {
    // Its lines are its work: a reader gone (a closed pipe) stops the walk.
    const signal = AbortSignal.any([trapped, ctx.io.outputGone]);
    try {
      const result = await v.runVerify({
        ...sessionRunOf(ctx, s, log, signal),
        checksum: flags.checksum === true,
        sample,
        restart: flags.restart === true,
        repair: flags.repair === true,
        allowMassDelete: flags.allowMassDelete === true,
        onLines: async (lines: readonly EntryLine[]) => {
          for (const l of lines) first.add(l);
          if (json && lines.length > 0)
            await writeText(ctx.io.stdout, lines.map((l) => v.formatLine(l)).join('\n') + '\n');
        },
        ...(progress.live ? { onProgress: (p: VerifyProgress) => progress.update(p) } : {}),
      });
      progress.finish();
      const { done } = result;
      if (json) await writeText(ctx.io.stdout, v.formatLine(done) + '\n');
      else {
        const hint = `To repair: georep verify --repair ${s.masterRoot} ${s.slaveRoot} (or georep repair with the --json lines).`;
        ctx.io.stdout.write(
          v.formatVerifySummary(done, first.lines, {
            master: s.masterRoot,
            slave: s.slaveRoot,
            repairHint: flags.repair === true ? '' : hint,
          }),
        );
      }
      if (result.repair === undefined || done.divergent === 0) {
        ctx.setExit(done.divergent === 0 ? EXIT.ok : EXIT.syncFailed);
        return;
      }
      // Repair reports go to stderr with --json: stdout holds only verify's lines.
      const out = json ? ctx.io.stderr : ctx.io.stdout;
      ctx.setExit(await deliverAndReport(ctx, s, log, result.repair, flags, signal, out));
    } catch (e) {
      progress.finish();
      throw e;
    }
  });
}

async function repairAction(ctx: CliContext, s: PreparedSession, flags: RepairFlags): Promise<void> {
  const log = loggerFor(s, flags);
  const v = await import('../verify/index.js');
  const from = flags.from ?? '-';
  const input: Readable = from === '-' ? ctx.io.stdin : createReadStream(resolve(from));
  await runTrapped(ctx.io, async (signal) => {
    try {
      const report = await v.runRepair({
        ...sessionRunOf(ctx, s, log, signal),
        input,
        allowMassDelete: flags.allowMassDelete === true,
      });
      ctx.setExit(await deliverAndReport(ctx, s, log, report, flags, signal, ctx.io.stdout));
    } catch (e) {
      if (isGeorepError(e) || !(e instanceof Error) || !('code' in e) || e.code !== 'ENOENT') throw e;
      throw new GeorepError('USAGE', `cannot read ${from}: no such file`, { path: from, cause: e });
    }
  });
}

/**
 * Syncs what a repair queued (unless --queue-only), prints both reports and returns the exit
 * code: 0 when every divergent entry was queued and the sync (if one ran) had no failures.
 */
async function deliverAndReport(
  ctx: CliContext,
  s: PreparedSession,
  log: Logger,
  report: RepairReport,
  flags: CommonFlags,
  signal: AbortSignal,
  out: Writable,
): Promise<ExitCode> {
  const v = await import('../verify/index.js');
  let delivery: Delivery | undefined;
  if (flags.queueOnly !== true && report.divergent > 0)
    delivery = await (
      await import('../verify/deliver.js')
    ).deliverQueued({ ...sessionRunOf(ctx, s, log, signal), allowMassDelete: flags.allowMassDelete === true });
  out.write(v.formatRepairSummary(report, delivery?.kind ?? 'queued'));
  if (delivery?.kind === 'synced') out.write(formatSummary(delivery.report, s.masterRoot, s.slaveRoot));
  const synced = delivery?.kind !== 'synced' || delivery.report.failures.length === 0;
  return report.problemCount === 0 && synced ? EXIT.ok : EXIT.syncFailed;
}

function loggerFor(s: PreparedSession, flags: CommonFlags): Logger {
  return createLogger({
    level: s.config.logLevel,
    file: flags.logFile === undefined ? undefined : resolve(flags.logFile),
  });
}

/** --sample's fraction: a number in (0, 1]; 1 when not given. */
function parseSample(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (!(raw.trim() !== '' && Number.isFinite(n) && n > 0 && n <= 1))
    throw new GeorepError(
      'USAGE',
      `--sample takes a fraction greater than 0 and at most 1 (such as 0.01), got ${JSON.stringify(raw)}`,
    );
  return n;
}

/**
 * Writes and waits while the stream is full: a slow reader of --json slows the walk, not memory.
 * Resolves at once when the stream is gone (outputGone stops the run then).
 */
function writeText(stream: Writable, text: string): Promise<void> {
  return new Promise((done) => {
    if (stream.destroyed || stream.write(text)) return done();
    const settle = (): void => {
      stream.off('drain', settle);
      stream.off('close', settle);
      done();
    };
    stream.once('drain', settle);
    stream.once('close', settle);
  });
}
