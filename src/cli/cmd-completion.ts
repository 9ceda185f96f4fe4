// `georep completion bash` prints the bash completion script; the hidden
// `georep __complete-sessions [--workdir DIR]` lists the workdir's sessions for it.
// Invariant: both only read; a workdir that is missing or unreadable lists nothing.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GeorepError } from '../errors.js';
import { bashCompletionScript } from './bash-completion.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import { commandTree } from './command-tree.js';
import type { CliContext } from './context.js';
import { packageVersion } from './package-info.js';
import { resolveWorkdir } from './workdir.js';
import { SESSIONS_DIR, SESSION_FILES } from '../session-files.js';

const COMPLETION_HELP = `
Examples:
  $ eval "$(georep completion bash)"                           # this shell; add it to ~/.bashrc
  $ georep completion bash > /etc/bash_completion.d/georep     # every user (as root)`;

export function addCompletionCommands(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .summary('print the shell completion script (bash)')
    .description(
      'Print a bash completion script for georep: verbs, options, option values, and the masters and ' +
        'slaves of the sessions in the workdir.',
    )
    .argument('<shell>', 'bash (the only shell supported)')
    .addHelpText('after', COMPLETION_HELP)
    .action((shell: string) => {
      if (shell !== 'bash') {
        throw new GeorepError(
          'USAGE',
          `no completion for the shell ${JSON.stringify(shell)}; georep completes bash only`,
        );
      }
      ctx.io.stdout.write(
        bashCompletionScript({ tree: commandTree(program), schema: ctx.schema, version: packageVersion() }),
      );
    });

  program
    .command('__complete-sessions', { hidden: true })
    .option('--workdir <dir>', WORKDIR_HELP)
    .action((flags: { workdir?: string }) => {
      for (const s of listSessionPairs(resolveWorkdir(flags.workdir, ctx.io.env))) {
        ctx.io.stdout.write(`${s.master}\0${s.slave}\0`);
      }
    });
}

/** Master and slave of every session folder with a readable session.json, in folder order. */
export function listSessionPairs(workdir: string): { master: string; slave: string }[] {
  const root = path.join(workdir, SESSIONS_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(root).sort();
  } catch {
    return []; // no workdir yet: nothing to offer
  }
  const out: { master: string; slave: string }[] = [];
  for (const name of names) {
    try {
      const v: unknown = JSON.parse(fs.readFileSync(path.join(root, name, SESSION_FILES.info), 'utf8'));
      if (typeof v === 'object' && v !== null && 'master' in v && 'slave' in v) {
        const { master, slave } = v;
        if (typeof master === 'string' && typeof slave === 'string') out.push({ master, slave });
      }
    } catch {
      // a folder without (or with a broken) session.json is no session to complete
    }
  }
  return out;
}
