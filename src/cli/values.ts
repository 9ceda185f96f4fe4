// Option values: parse a raw value (flag, session file, schema default) into its typed form and
// format it back canonically. Invariant: parse(format(v)) === v, and every rejection names the
// option, what it expects and what it got (GeorepError CONFIG_INVALID).

import type { Config } from '../config.js';
import { GeorepError } from '../errors.js';

export const OPTION_TYPES = ['int', 'bool', 'string', 'choice', 'bytes', 'seconds', 'fraction'] as const;
export type OptionType = (typeof OPTION_TYPES)[number];

/** A value as it arrives: text from a file or flag, a boolean from ini or a bare flag, a number from code. */
export type RawValue = string | number | boolean;
/** A validated value: numbers for int/bytes/seconds/fraction, booleans for bool, strings otherwise. */
export type OptionValue = number | boolean | string;

/** What validation needs to know about an option. */
export interface ValueSpec {
  readonly key: string; // kebab-case, e.g. 'sync-jobs'
  readonly field: keyof Config; // camelCase, e.g. 'syncJobs'
  readonly type: OptionType;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly choices: readonly string[] | undefined;
}

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];
export const BOOL_WORDS: readonly string[] = [...TRUE_WORDS, ...FALSE_WORDS];

/** Powers of 1024 for bytes suffixes, seconds for duration suffixes. */
const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SECOND_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600 };

/**
 * rsync arguments that would break what georep relies on: writing into the live file instead of
 * a staged copy (--inplace, --append), deleting master files, or a transfer list of its own.
 */
const RSYNC_REFUSED =
  /^(--inplace|--append|--append-verify|--remove-source-files|--remove-sent-files|--del|--delete.*|--files-from(=.*)?|--from0|-0|--no-relative|--no-R|--write-devices)$/;

/** Checks beyond the schema's type, for options whose text has a grammar of its own. */
const FIELD_CHECKS: Partial<Record<keyof Config, { readonly expects: string; readonly ok: (v: string) => boolean }>> = {
  checkpoint: {
    expects: 'empty, "now" or a time in unix seconds',
    ok: (v) => v === '' || v === 'now' || /^\d{1,12}$/.test(v),
  },
  rsyncCommand: { expects: 'a program name or path', ok: (v) => v.trim() !== '' },
  rsyncOptions: {
    expects:
      'extra rsync arguments that keep the atomic replace (no --inplace, --append, --append-verify, --remove-source-files, --delete*, --files-from, --from0, --no-relative or --write-devices)',
    ok: (v) => !v.split(/\s+/).some((w) => RSYNC_REFUSED.test(w)),
  },
  sshCommand: { expects: 'an ssh command line', ok: (v) => v.trim() !== '' },
  remoteGeorep: { expects: 'the georep command on the slave host', ok: (v) => v.trim() !== '' },
  sshIdentity: {
    expects: 'an absolute path without whitespace, or empty',
    ok: (v) => v === '' || (v.startsWith('/') && !/\s/.test(v)),
  },
};

export function parseOptionValue(spec: ValueSpec, raw: RawValue, source: string): OptionValue {
  const value = parseByType(spec, raw);
  if (value === undefined) throw invalid(spec, raw, source);
  if (typeof value === 'number' && !inRange(spec, value)) throw invalid(spec, raw, source);
  const check = FIELD_CHECKS[spec.field];
  if (check !== undefined && !check.ok(String(value))) throw invalid(spec, raw, source);
  return value;
}

function parseByType(spec: ValueSpec, raw: RawValue): OptionValue | undefined {
  switch (spec.type) {
    case 'bool':
      return parseBool(raw);
    case 'int':
      return parseScaled(raw, { '': 1 }, /^([+-]?\d+)()$/);
    case 'bytes':
      return parseScaled(raw, BYTE_UNITS, /^(\d+)\s*([kmg]?)(?:i?b)?$/i);
    case 'seconds':
      return parseScaled(raw, SECOND_UNITS, /^(\d+)\s*([smh]?)$/i);
    case 'choice': {
      if (typeof raw !== 'string') return undefined;
      return spec.choices?.find((c) => c.toLowerCase() === raw.trim().toLowerCase());
    }
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'fraction':
      return parseFraction(raw);
  }
}

/** A decimal number greater than 0 and at most 1 (a share of the entries: audit-sample). */
function parseFraction(raw: RawValue): number | undefined {
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*(0|1)?(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 && n <= 1 ? n : undefined;
}

function parseBool(raw: RawValue): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const word = String(raw).trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return undefined;
}

function parseScaled(raw: RawValue, units: Readonly<Record<string, number>>, re: RegExp): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = re.exec(raw.trim());
  if (m === null) return undefined;
  const scale = units[(m[2] ?? '').toLowerCase()];
  if (scale === undefined) return undefined;
  const n = Number(m[1]) * scale;
  return Number.isSafeInteger(n) ? n : undefined;
}

function inRange(spec: ValueSpec, n: number): boolean {
  return (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
}

/** The canonical text of a value, as saved in a session file and shown by `georep config`. */
export function formatOptionValue(value: OptionValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** What an option accepts, in words, e.g. "an integer from 1 to 64". */
export function describeExpected(spec: ValueSpec): string {
  const range = rangeText(spec);
  const check = FIELD_CHECKS[spec.field];
  switch (spec.type) {
    case 'bool':
      return 'true or false (also yes/no, on/off, 1/0)';
    case 'int':
      return `an integer${range}`;
    case 'bytes':
      return `a size in bytes${range} (K, M, G suffixes allowed)`;
    case 'seconds':
      return `a duration in seconds${range} (s, m, h suffixes allowed)`;
    case 'choice':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    case 'string':
      return check?.expects ?? 'a string';
    case 'fraction':
      return 'a fraction greater than 0 and at most 1 (such as 0.01)';
  }
}

function rangeText(spec: ValueSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` of at least ${spec.min}`;
  if (spec.max !== undefined) return ` of at most ${spec.max}`;
  return '';
}

function invalid(spec: ValueSpec, raw: RawValue, source: string): GeorepError {
  const got = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
  return new GeorepError(
    'CONFIG_INVALID',
    `option ${spec.key} (from ${source}) expects ${describeExpected(spec)}, got ${got}`,
  );
}
