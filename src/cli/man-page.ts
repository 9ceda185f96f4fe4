// georep(1): the man page, rendered from the help text every verb prints (command-tree.ts), so
// `man georep` says what `georep … --help` says. Invariant: the output is plain man(7) roff
// with every character the help text holds shown as is (dashes stay ASCII, for copy and paste).

import { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { commandTree, helpText } from './command-tree.js';
import type { CliContext } from './context.js';
import { readStartupEnv } from './env.js';
import { loadSchema } from './options.js';
import { buildProgram } from './program.js';

export interface ManPageInfo {
  readonly version: string;
  /** YYYY-MM-DD, the page's date (SOURCE_DATE_EPOCH's for a reproducible build). */
  readonly date: string;
}

/** Help laid out for man's 80 columns less its 7-column indent. */
const MAN_HELP_WIDTH = 72;

/** Sections no verb's help carries: where things live and what else to read. */
const FILES = `.TP
.I /var/lib/georep
The workdir when run as root (else \\fI$XDG_STATE_HOME/georep\\fR or \\fI~/.local/state/georep\\fR):
one folder per session under \\fIsessions/\\fR, holding its options, gfid index, changelogs,
status and the daemon's log.
.TP
.I /etc/georep/NAME.env
Master and slave (and optionally GEOREP_WORKDIR) of the systemd service \\fBgeorep@NAME\\fR,
written by \\fBgeorep service install\\fR.
.TP
.I /etc/systemd/system/georep@.service
The systemd template unit: one session per instance, started with \\fBgeorep start \\-\\-foreground\\fR.`;

const SEE_ALSO = '.BR rsync (1),\n.BR ssh (1),\n.BR systemctl (1),\n.BR journalctl (1)';

/** The whole page. */
export function renderManPage(program: Command, info: ManPageInfo): string {
  const tree = commandTree(program);
  const verbs = tree.filter((n) => n.path.length > 0 && n.path.at(-1) !== 'help' && n.children.length === 0);
  const name = program.description().replace(/\.$/, '');
  const out = [
    `.TH GEOREP 1 "${info.date}" "georep ${escapeText(info.version)}" "User Commands"`,
    '.SH NAME',
    `georep \\- ${escapeText(name.charAt(0).toLowerCase() + name.slice(1))}`,
    '.SH SYNOPSIS',
    verbs.map((v) => `.B georep ${v.path.join(' ')}\n${escapeText(v.command.usage())}`).join('\n.br\n'),
    '.SH DESCRIPTION',
    block(helpText(program, MAN_HELP_WIDTH)),
    '.SH COMMANDS',
    ...tree
      .filter((n) => n.path.length > 0 && n.path.at(-1) !== 'help')
      .map((n) => `.SS "georep ${n.path.join(' ')}"\n${block(helpText(n.command, MAN_HELP_WIDTH))}`),
    '.SH FILES',
    FILES,
    '.SH SEE ALSO',
    SEE_ALSO,
  ];
  return out.join('\n') + '\n';
}

/** Help text as an unfilled block: its lines and indentation as the terminal shows them. */
function block(text: string): string {
  const lines = text.replace(/\n+$/, '').split('\n').map(escapeLine);
  return ['.nf', ...lines, '.fi'].join('\n');
}

/** One line of text: a leading `.` or `'` would be read as a request. */
function escapeLine(line: string): string {
  const t = escapeText(line);
  return /^[.']/.test(t) ? `\\&${t}` : t;
}

/**
 * Backslashes and dashes escaped (`-` would print as a hyphen in UTF-8 output, and a copied
 * `--sync-jobs` would not work), anything outside ASCII as a groff \[uXXXX] glyph, so the page
 * renders the same with or without preconv.
 */
export function escapeText(s: string): string {
  return [...s.replace(/\\/g, '\\e').replace(/-/g, '\\-')]
    .map((c) => {
      const cp = c.codePointAt(0) ?? 0;
      return cp < 0x80 ? c : `\\[u${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    })
    .join('');
}

/**
 * The georep program as a user gets it, for documentation: the same verbs, options and help,
 * with no terminal, environment or process behind it (nothing is run).
 */
export function programForDocs(): Command {
  const quiet = (): Writable => new Writable({ write: (_c, _e, done) => done() });
  const ctx: CliContext = {
    io: {
      stdin: Readable.from([]),
      stdout: quiet(),
      stderr: quiet(),
      stderrIsTTY: false,
      stderrIsJournal: false,
      env: readStartupEnv({}, undefined, '/nonexistent'),
      selfCommand: [],
      argv: [],
      heapLimitMiB: 0,
      agentCommand: [],
      clock: systemClock,
      outputGone: new AbortController().signal,
      trapSignals: () => ({ signal: new AbortController().signal, release: () => undefined }),
    },
    schema: loadSchema(),
    setExit: () => undefined,
  };
  return buildProgram(ctx);
}
