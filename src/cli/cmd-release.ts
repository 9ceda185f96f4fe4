// `georep release MASTER SLAVE`: lets the deletes the mass-delete brake holds reach the slave.
// Invariant: it only records the release in the session's index (SQLite, shared safely with a
// running daemon); the worker sends the deletes held up to that moment at its next turn, each
// only where the master still has nothing at its name, and what was held since is counted afresh.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../log.js';
import { openSessionIndex } from '../master/session-setup.js';
import { GeorepError } from '../errors.js';
import { requestRelease } from '../master/delete-brake.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import type { CliContext } from './context.js';
import { resolveMasterRoot, resolveSlaveRoot } from './roots.js';
import { openStateFormat } from './state-format.js';
import { resolveWorkdir, sessionDirOf } from './workdir.js';
import { SESSION_FILES } from '../session-files.js';

interface Flags {
  readonly workdir?: string;
}

export function addReleaseCommand(program: Command, ctx: CliContext): void {
  program
    .command('release')
    .summary('let the deletes the mass-delete brake holds reach the slave')
    .description(
      'When a session is Held (a mass delete, or an emptied, replaced or unmounted master root: see ' +
        'georep status), every delete waits on the slave. release lets go of the deletes held so far: the ' +
        'running worker sends them at its next turn (the next georep start when none runs), each only ' +
        'where the master still has nothing at its name, and takes the master root as it is now.',
    )
    .argument('<master>')
    .argument('<slave>')
    .option('--workdir <dir>', WORKDIR_HELP)
    .action((master: string, slave: string, flags: Flags) => {
      const masterRoot = resolveMasterRoot(master);
      const workdir = resolveWorkdir(flags.workdir, ctx.io.env);
      const dir = sessionDirOf(workdir, masterRoot, resolveSlaveRoot(slave));
      openStateFormat(dir);
      const file = path.join(dir, SESSION_FILES.index);
      if (!fs.existsSync(file))
        throw new GeorepError('NOT_RUNNING', `no session for ${masterRoot} -> ${slave} in ${workdir}`);
      const index = openSessionIndex(dir, createLogger({ level: 'warn', journal: ctx.io.stderrIsJournal }));
      let r: { readonly held: number; readonly engaged: boolean };
      try {
        r = requestRelease(index, index.heldDeletes());
      } finally {
        index.close();
      }
      ctx.io.stdout.write(
        !r.engaged && r.held === 0
          ? `georep: no deletes are held for ${masterRoot} -> ${slave}\n`
          : `georep: released ${r.held} held ${r.held === 1 ? 'delete' : 'deletes'}; the worker sends ${r.held === 1 ? 'it' : 'them'} to the slave at its next turn\n`,
      );
    });
}
