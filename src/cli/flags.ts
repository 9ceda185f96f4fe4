// Schema flags: every option of conf/georep.conf as a `--KEY VALUE` flag on a commander verb.
// Invariant: only flags the user typed reach the config layer (no commander defaults), so a
// session value is overridden only when a flag is actually given.

import { Option } from 'commander';
import type { Command } from 'commander';
import type { Schema } from './options.js';
import { BOOL_WORDS, describeExpected, formatOptionValue } from './values.js';
import type { RawValue } from './values.js';

/** Adds `--KEY <value>` for each option (`--KEY [bool]` for bools); returns attribute → key. */
export function addSchemaOptions(cmd: Command, schema: Schema): ReadonlyMap<string, string> {
  const attributes = new Map<string, string>();
  for (const spec of schema.options.values()) {
    const flag = spec.type === 'bool' ? `--${spec.key} [bool]` : `--${spec.key} <value>`;
    const shown = formatOptionValue(spec.defaultValue);
    const opt = new Option(
      flag,
      `${spec.help} Takes ${describeExpected(spec)}; default: ${shown === '' ? '""' : shown}.`,
    );
    opt.helpGroup("Options from conf/georep.conf (override the session's values for this run):");
    cmd.addOption(opt);
    attributes.set(opt.attributeName(), spec.key);
  }
  return attributes;
}

/** The schema options given on the command line, by key (null-prototype). */
export function collectSchemaFlags(cmd: Command, attributes: ReadonlyMap<string, string>): Record<string, RawValue> {
  const out = Object.create(null) as Record<string, RawValue>;
  for (const [attribute, key] of attributes) {
    if (cmd.getOptionValueSource(attribute) !== 'cli') continue;
    const v: unknown = cmd.getOptionValue(attribute);
    if (typeof v === 'string' || typeof v === 'boolean') out[key] = v;
  }
  return out;
}

/**
 * A bool flag takes an optional value, so commander would swallow the next argument
 * (`--ignore-deletes /src /dst` would read "/src" as the value). Rewrites a bare bool flag to
 * `--KEY=true` unless the next argument is a bool word; stops at `--`.
 */
export function normalizeBoolFlags(argv: readonly string[], schema: Schema): string[] {
  const bools = new Set([...schema.options.values()].filter((s) => s.type === 'bool').map((s) => `--${s.key}`));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const nextIsValue = next !== undefined && BOOL_WORDS.includes(next.toLowerCase());
    out.push(bools.has(arg) && !nextIsValue ? `${arg}=true` : arg);
  }
  return out;
}
