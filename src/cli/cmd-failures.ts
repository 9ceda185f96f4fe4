// `georep failures MASTER SLAVE [--json]` lists the failure ledger; `georep resync MASTER SLAVE
// PATH` queues a path (a directory with its whole subtree) to be synced again from the master.
// Invariant: both read and write only the session's index (SQLite, shared safely with a running
// daemon); the worker does the syncing, each queued item on its own, as with any ledger item.

import path from 'node:path';
import type { Command } from 'commander';
import { ROOT_GFID, relativeInside } from '../changelog/index.js';
import { createLogger } from '../log.js';
import { openSessionIndex } from '../master/session-setup.js';
import { queueSubtree } from '../master/subtree-resync.js';
import type { Gfid } from '../changelog/index.js';
import type { GfidIndex, LedgerItem, NameIndex } from '../store/index.js';
import { GeorepError } from '../errors.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import type { CliContext } from './context.js';
import { resolveMasterRoot, resolveSlaveRoot } from './roots.js';
import { openStateFormat } from './state-format.js';
import { resolveWorkdir, sessionDirOf } from './workdir.js';

interface Flags {
  readonly json?: boolean;
  readonly workdir?: string;
}

export function addFailureCommands(program: Command, ctx: CliContext): void {
  program
    .command('failures')
    .summary('list what did not reach the slave (the failure ledger)')
    .description(
      'List every entry a live session could not bring to the slave, with its cause, attempts, ' +
        'first and last failure and next retry. Each is retried on its own until it lands.',
    )
    .argument('<master>')
    .argument('<slave>')
    .option('--json', 'one JSON array')
    .option('--workdir <dir>', WORKDIR_HELP)
    .action((master: string, slave: string, flags: Flags) => {
      const items = withIndex(ctx, master, slave, flags.workdir, (index) => index.ledgerAll());
      if (flags.json === true) {
        ctx.io.stdout.write(JSON.stringify(items.map(jsonOf), null, 2) + '\n');
        return;
      }
      if (items.length === 0) {
        ctx.io.stdout.write('No failures.\n');
        return;
      }
      for (const i of items) {
        ctx.io.stdout.write(
          `${i.path}: ${i.code}: ${i.message} (attempts ${i.attempts}; first ${iso(i.firstMs)}, ` +
            `last ${iso(i.lastMs)}, next retry ${iso(i.nextMs)})\n`,
        );
      }
    });

  program
    .command('resync')
    .summary('sync PATH (and everything below it) again from the master')
    .description(
      'Queue PATH, a file or a directory with its whole subtree, to be synced again from the master ' +
        '(repair after the slave drifted). PATH is absolute inside MASTER or relative to it. The ' +
        'running daemon (or the next georep start) does it; georep failures shows what is queued.',
    )
    .argument('<master>')
    .argument('<slave>')
    .argument('<path>')
    .option('--workdir <dir>', WORKDIR_HELP)
    .action((master: string, slave: string, target: string, flags: Flags) => {
      const masterRoot = resolveMasterRoot(master);
      // A relative path is taken from the master root; '..dots' is a name, '../x' leaves it.
      const rel = relativeInside(masterRoot, path.resolve(masterRoot, target));
      if (rel === undefined) {
        throw new GeorepError('USAGE', `${target} is not inside the master ${masterRoot}; give a path under it`);
      }
      const n = withIndex(ctx, master, slave, flags.workdir, (index) => {
        const nowMs = ctx.io.clock.nowMs();
        // A checkpoint set from now on waits for it; one set before does not.
        const how = { message: 'queued by georep resync', changeMs: nowMs, nowMs, held: 'requeue' } as const;
        return queueSubtree(index, gfidAt(index, rel), how);
      });
      ctx.io.stdout.write(
        `georep: queued ${n} ${n === 1 ? 'entry' : 'entries'} of ${rel === '' ? '.' : rel} to sync again\n`,
      );
    });
}

function withIndex<T>(
  ctx: CliContext,
  master: string,
  slave: string,
  workdir: string | undefined,
  fn: (i: GfidIndex) => T,
): T {
  const dir = sessionDirOf(resolveWorkdir(workdir, ctx.io.env), resolveMasterRoot(master), resolveSlaveRoot(slave));
  openStateFormat(dir);
  const index = openSessionIndex(dir, createLogger({ level: 'warn', journal: ctx.io.stderrIsJournal }));
  try {
    return fn(index);
  } finally {
    index.close();
  }
}

/** The gfid at `rel` (relative to the master root), by the session index's names. */
function gfidAt(index: Pick<NameIndex, 'lookup'>, rel: string): Gfid {
  let gfid: Gfid = ROOT_GFID;
  for (const comp of rel === '' || rel === '.' ? [] : rel.split(path.sep)) {
    const row = index.lookup(gfid, Buffer.from(comp));
    if (row === undefined) {
      throw new GeorepError('USAGE', `${rel} is not in the session's index (not recorded yet, or not on the master)`);
    }
    gfid = row.gfid;
  }
  return gfid;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function jsonOf(i: LedgerItem): Record<string, string | number | null> {
  return {
    gfid: i.gfid,
    path: i.path,
    code: i.code,
    errno: i.errno,
    message: i.message,
    attempts: i.attempts,
    // The earliest the change can have been made (null: unknown, an item from before this was
    // kept): a checkpoint waits for the items whose change is older than its target.
    change_time: i.changeMs > 0 ? iso(i.changeMs) : null,
    first_failure: iso(i.firstMs),
    last_failure: iso(i.lastMs),
    next_retry: iso(i.nextMs),
  };
}
