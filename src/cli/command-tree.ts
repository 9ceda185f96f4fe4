// Command tree: georep's verbs, their options and arguments, and the exact help text each
// prints, read from the commander program itself. Invariant: the man page and the shell
// completion are derived from this, so they cannot drift from what `georep … --help` says.

import type { Command } from 'commander';

/** Width the help is laid out at when it is not going to a terminal (commander's own default). */
export const HELP_WIDTH = 80;

export interface OptionNode {
  /** `--sync-jobs`; the short form too when there is one (`-h`). */
  readonly names: readonly string[];
  /** The next word is its value (`--workdir <dir>`); optional values (bools) do not count. */
  readonly takesValue: boolean;
}

export interface CommandNode {
  /** Words after `georep` that select it: [] for georep itself, ['checkpoint', 'set']. */
  readonly path: readonly string[];
  readonly command: Command;
  readonly options: readonly OptionNode[];
  /** Positional arguments in order, by name (`master`, `slave`, …). */
  readonly args: readonly string[];
  /** Names of its visible subcommands (commander's implicit `help` included). */
  readonly children: readonly string[];
}

/** Every visible command, depth first, georep itself first; hidden (internal) verbs left out. */
export function commandTree(program: Command): CommandNode[] {
  const help = program.createHelp();
  const out: CommandNode[] = [];
  const visit = (cmd: Command, path: readonly string[]): void => {
    const subs = help.visibleCommands(cmd);
    out.push({
      path,
      command: cmd,
      options: help.visibleOptions(cmd).map((o) => ({
        names: [o.short, o.long].filter((n): n is string => n !== undefined),
        takesValue: o.required,
      })),
      args: help.visibleArguments(cmd).map((a) => a.name()),
      children: subs.map((c) => c.name()),
    });
    for (const sub of subs) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return out;
}

/**
 * The text `georep <path> --help` prints when stdout is not a terminal: commander's help plus
 * the text verbs add after it (examples, environment, exit codes), without colours.
 */
export function helpText(cmd: Command, width = HELP_WIDTH): string {
  const saved = cmd.configureOutput();
  let text = '';
  cmd.configureOutput({
    writeOut: (s) => void (text += s),
    getOutHelpWidth: () => width,
    getOutHasColors: () => false,
  });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  return text;
}
