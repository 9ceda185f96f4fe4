// `georep config MASTER SLAVE [KEY [VALUE]] [--reset KEY]`: list, get, set or reset a session's
// options. Invariant: a value is validated (alone and with the rest of the session) before the
// session file is touched, so a rejected value leaves the file byte-for-byte unchanged.

import type { Command } from 'commander';
import type { Config } from '../config.js';
import { GeorepError } from '../errors.js';
import { resolveConfig, specFor } from './config-loader.js';
import type { CliContext } from './context.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import { displayText } from './format.js';
import type { OptionSpec, Schema } from './options.js';
import { resolveMasterRoot, resolveSlaveRoot } from './roots.js';
import { readSessionValues, sessionConfPath, writeSessionValues } from './session-values.js';
import { formatOptionValue, parseOptionValue } from './values.js';
import type { RawValue } from './values.js';
import { openStateFormat } from './state-format.js';
import { ensureSessionDir, resolveWorkdir, sessionDirOf } from './workdir.js';

const CONFIG_EXAMPLES = `
Examples:
  $ georep config /srv/data /backup/data                    # list every option
  $ georep config /srv/data /backup/data sync-jobs          # print one value
  $ georep config /srv/data /backup/data sync-jobs 8        # save a value for this session
  $ georep config /srv/data /backup/data --reset sync-jobs  # back to the default
  $ georep config /srv/data /backup/data checkpoint now     # records the current time
  $ georep config /srv/data /backup/data rsync-options -- --bwlimit=10000  # a value starting with -`;

const CLI_SOURCE = 'the command line';
const MS_PER_S = 1000;
/** Values longer than this do not widen the listing's value column. */
const VALUE_COLUMN_MAX = 40;

export function addConfigCommand(program: Command, ctx: CliContext): void {
  program
    .command('config')
    .summary("list, show, set or reset a session's options")
    .description("Show or change a session's options (the session of the MASTER and SLAVE pair).")
    .argument('<master>', 'master directory of the session (must exist)')
    .argument('<slave>', 'slave directory of the session')
    .argument('[key]', 'option to print or set; without it, list all options')
    .argument('[value]', 'new value to validate and save for this session')
    .option('--reset <key>', 'remove the session value of KEY, so the default applies again')
    .option('--workdir <dir>', WORKDIR_HELP)
    .addHelpText('after', CONFIG_EXAMPLES)
    .action(
      (
        master: string,
        slave: string,
        key: string | undefined,
        value: string | undefined,
        opts: { reset?: string; workdir?: string },
      ) => {
        const masterRoot = resolveMasterRoot(master);
        const slaveRoot = resolveSlaveRoot(slave);
        const workdir = resolveWorkdir(opts.workdir, ctx.io.env);
        const session = { workdir, masterRoot, slaveRoot, dir: sessionDirOf(workdir, masterRoot, slaveRoot) };
        openStateFormat(session.dir);
        if (opts.reset !== undefined) {
          if (key !== undefined) throw new GeorepError('USAGE', 'give either KEY [VALUE] or --reset KEY, not both');
          resetValue(ctx, session, opts.reset);
        } else if (key === undefined) {
          listValues(ctx, session.dir);
        } else if (value === undefined) {
          const spec = specFor(ctx.schema, key, CLI_SOURCE);
          ctx.io.stdout.write(`${formatOptionValue(currentConfig(ctx.schema, session.dir)[spec.field])}\n`);
        } else {
          setValue(ctx, session, key, value);
        }
      },
    );
}

interface Session {
  readonly workdir: string;
  readonly masterRoot: string;
  readonly slaveRoot: string;
  readonly dir: string;
}

function currentConfig(schema: Schema, sessionDir: string): Config {
  return resolveConfig([{ source: sessionConfPath(sessionDir), values: readSessionValues(sessionDir) }], schema);
}

function setValue(ctx: CliContext, session: Session, key: string, value: string): void {
  const spec = specFor(ctx.schema, key, CLI_SOURCE);
  let parsed = parseOptionValue(spec, value, CLI_SOURCE);
  // As gsyncd does, "checkpoint now" stores the time it was set (rounded up to whole seconds, so
  // everything changed before it is included), not a moving target.
  if (spec.field === 'checkpoint' && parsed === 'now') parsed = String(Math.ceil(ctx.io.clock.nowMs() / MS_PER_S));
  const next = { ...asText(readSessionValues(session.dir)), [spec.key]: formatOptionValue(parsed) };
  resolveConfig([{ source: sessionConfPath(session.dir), values: next }], ctx.schema);
  const dir = ensureSessionDir(session.workdir, session.masterRoot, session.slaveRoot);
  writeSessionValues(dir, next);
  ctx.io.stdout.write(`${spec.key} = ${displayText(formatOptionValue(parsed))} (saved in ${sessionConfPath(dir)})\n`);
}

function resetValue(ctx: CliContext, session: Session, key: string): void {
  const values = asText(readSessionValues(session.dir));
  if (!ctx.schema.options.has(key) && Object.hasOwn(values, key)) {
    // A key georep does not know (a hand edit, an option since removed) can still be dropped.
    const { [key]: _unknown, ...known } = values;
    writeSessionValues(session.dir, known);
    ctx.io.stdout.write(`removed unknown key ${displayText(key)} from ${sessionConfPath(session.dir)}\n`);
    return;
  }
  const spec = specFor(ctx.schema, key, CLI_SOURCE);
  const shownDefault = displayText(formatOptionValue(spec.defaultValue));
  if (!Object.hasOwn(values, spec.key)) {
    ctx.io.stdout.write(`${spec.key} is not set for this session (default: ${shownDefault})\n`);
    return;
  }
  const { [spec.key]: _removed, ...rest } = values;
  writeSessionValues(session.dir, rest);
  ctx.io.stdout.write(`${spec.key} reset to its default (${shownDefault})\n`);
}

function listValues(ctx: CliContext, sessionDir: string): void {
  const saved = readSessionValues(sessionDir);
  const config = currentConfig(ctx.schema, sessionDir);
  const specs = [...ctx.schema.options.values()];
  const rows = specs.map((spec) => [spec.key, shown(config[spec.field]), setText(spec, saved)] as const);
  const keyWidth = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.min(VALUE_COLUMN_MAX, Math.max(...rows.map((r) => r[1].length)));
  const lines = rows.map(([k, v, s]) => `${k.padEnd(keyWidth)}  ${v.padEnd(valueWidth)}  ${s}`.trimEnd());
  ctx.io.stdout.write(`${lines.join('\n')}\n`);
}

function setText(spec: OptionSpec, saved: Readonly<Record<string, RawValue>>): string {
  const def = shown(spec.defaultValue);
  return Object.hasOwn(saved, spec.key) ? `session (default: ${def})` : 'default';
}

/** Listing form: empty strings are shown as "" so the column stays readable. */
const shown = (v: Config[keyof Config]): string => (v === '' ? '""' : displayText(formatOptionValue(v)));

function asText(values: Readonly<Record<string, RawValue>>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const k of Object.keys(values)) out[k] = String(values[k]);
  return out;
}
