// Option schema: conf/georep.conf read and checked against the Config type. Invariant: every
// Config field has exactly one schema section whose type yields that field's JS type, and every
// default in the file passes its own validation; defaults live in the file, never in code.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ini from 'ini';
import { COMPRESS_KINDS, LOG_LEVELS, SYNC_METHODS, SYNC_MODES, WATCHER_KINDS } from '../config.js';
import type { Config } from '../config.js';
import { GeorepError } from '../errors.js';
import { parseOptionValue } from './values.js';
import { OPTION_TYPES } from './values.js';
import type { OptionType, OptionValue, RawValue, ValueSpec } from './values.js';

/** One option as conf/georep.conf declares it. */
export interface OptionSpec extends ValueSpec {
  readonly help: string;
  readonly defaultValue: OptionValue;
}

export interface Schema {
  /** Where the schema came from (for messages). */
  readonly source: string;
  /** Options in file order, keyed by kebab-case name. */
  readonly options: ReadonlyMap<string, OptionSpec>;
}

/** The JS type each Config field takes; a choice field lists what the code implements. */
type FieldKind = 'number' | 'boolean' | 'string' | { readonly choices: readonly string[] };

export const CONFIG_FIELDS: { readonly [F in keyof Config]: FieldKind } = {
  syncJobs: 'number',
  changeInterval: 'number',
  changelogBatchSize: 'number',
  xsyncChangelogEntries: 'number',
  syncBoxFiles: 'number',
  crawlRate: 'number',
  verifyRate: 'number',
  auditInterval: 'number',
  auditSample: 'number',
  auditChecksum: 'boolean',
  auditRepair: 'boolean',
  ignoreDeletes: 'boolean',
  deleteBrakePercent: 'number',
  deleteBrakeCount: 'number',
  deleteBrakeMin: 'number',
  seedCopy: 'boolean',
  useRsyncXattrs: 'boolean',
  rsyncCommand: 'string',
  rsyncOptions: 'string',
  sshCommand: 'string',
  sshPort: 'number',
  sshOptions: 'string',
  sshIdentity: 'string',
  remoteGeorep: 'string',
  slaveTimeout: 'number',
  reconnectProbeInterval: 'number',
  checkpoint: 'string',
  watcherPolling: 'boolean',
  watcherPollInterval: 'number',
  rolloverQuiet: 'number',
  sweepPublishInterval: 'number',
  watchSettle: 'number',
  watchCookieTimeout: 'number',
  restartBackoff: 'number',
  restartBackoffMax: 'number',
  faultyAfterExits: 'number',
  stopTimeout: 'number',
  reconcileInterval: 'number',
  blindWriteGap: 'number',
  daemonHeap: 'number',
  retryBackoff: 'number',
  retryBackoffMax: 'number',
  metricsPort: 'number',
  metricsAddress: 'string',
  compressLevel: 'number',
  // the choice options: each lists the values the code implements
  specialSyncMode: { choices: SYNC_MODES },
  syncMethod: { choices: SYNC_METHODS },
  compress: { choices: COMPRESS_KINDS },
  logLevel: { choices: LOG_LEVELS },
  watcher: { choices: WATCHER_KINDS },
};

const TYPE_KIND: Readonly<Record<OptionType, 'number' | 'boolean' | 'string' | 'choice'>> = {
  int: 'number',
  bytes: 'number',
  seconds: 'number',
  fraction: 'number',
  bool: 'boolean',
  string: 'string',
  choice: 'choice',
};

/** Sections that carry file metadata, not options. */
const META_SECTION = '__meta__';
const SPEC_KEYS = new Set(['value', 'type', 'help', 'min', 'max', 'choices']);

/** The schema shipped with georep (resolves from src/cli under tsx and from dist/cli when built). */
export const SCHEMA_URL = new URL('../../conf/georep.conf', import.meta.url);

export function loadSchema(url: URL = SCHEMA_URL): Schema {
  const source = fileURLToPath(url);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (e) {
    throw new GeorepError('CONFIG_INVALID', `cannot read the option schema ${source}: ${String(e)}`, {
      path: source,
      cause: e,
    });
  }
  return parseSchema(text, source);
}

export function parseSchema(text: string, source: string): Schema {
  const parsed: Record<string, unknown> = ini.parse(text);
  const options = new Map<string, OptionSpec>();
  for (const key of Object.keys(parsed)) {
    if (key === META_SECTION) continue;
    options.set(key, parseSection(key, parsed[key], source));
  }
  const fields = new Set([...options.values()].map((o) => o.field));
  for (const field of Object.keys(CONFIG_FIELDS)) {
    if (!fields.has(field as keyof Config))
      schemaError(source, kebab(field), 'is missing: every Config field needs a section');
  }
  return { source, options };
}

function parseSection(key: string, section: unknown, source: string): OptionSpec {
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    schemaError(source, key, 'must be a [section] with value=, type= and help=');
  }
  const raw: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, section);
  for (const k of Object.keys(raw)) {
    if (!SPEC_KEYS.has(k)) schemaError(source, key, `has unknown setting "${k}"`);
  }
  const field = camel(key);
  if (!isConfigField(field))
    schemaError(
      source,
      key,
      `names no Config field (expected one of ${Object.keys(CONFIG_FIELDS).map(kebab).join(', ')})`,
    );
  const type = raw['type'];
  if (typeof type !== 'string' || !(OPTION_TYPES as readonly string[]).includes(type)) {
    schemaError(source, key, `needs type= one of ${OPTION_TYPES.join(', ')}`);
  }
  const optionType = type as OptionType;
  const help = raw['help'];
  if (typeof help !== 'string' || help.trim() === '') schemaError(source, key, 'needs a help= sentence');
  const spec0: ValueSpec = {
    key,
    field,
    type: optionType,
    min: numberSetting(raw, 'min', key, source),
    max: numberSetting(raw, 'max', key, source),
    choices: choicesSetting(raw, key, source),
  };
  checkKind(spec0, source);
  const value = raw['value'];
  if (value === undefined) schemaError(source, key, 'needs a value= default');
  if (!isRawValue(value)) schemaError(source, key, 'has a malformed value=');
  return { ...spec0, help, defaultValue: parseOptionValue(spec0, value, `the schema ${source}`) };
}

function checkKind(spec: ValueSpec, source: string): void {
  const want = CONFIG_FIELDS[spec.field];
  const have = TYPE_KIND[spec.type];
  if (typeof want === 'object') {
    if (have !== 'choice' || spec.choices === undefined)
      schemaError(source, spec.key, 'must be type=choice with choices=');
    const extra = spec.choices.filter((c) => !want.choices.includes(c));
    if (extra.length > 0)
      schemaError(source, spec.key, `offers choices georep does not implement: ${extra.join(', ')}`);
  } else if (want !== have) {
    schemaError(source, spec.key, `has type=${spec.type} but georep needs a ${want}`);
  }
  const numeric = have === 'number' && spec.type !== 'fraction'; // a fraction's range is (0, 1]
  if (!numeric && (spec.min !== undefined || spec.max !== undefined))
    schemaError(source, spec.key, 'min=/max= apply only to int, bytes and seconds');
  if (have !== 'choice' && spec.choices !== undefined)
    schemaError(source, spec.key, 'choices= applies only to type=choice');
  if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max)
    schemaError(source, spec.key, 'has min= above max=');
}

function numberSetting(
  raw: Record<string, unknown>,
  name: 'min' | 'max',
  key: string,
  source: string,
): number | undefined {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    schemaError(source, key, `${name}= must be an integer`);
  }
  return Number(v);
}

function choicesSetting(raw: Record<string, unknown>, key: string, source: string): readonly string[] | undefined {
  const v = raw['choices'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') schemaError(source, key, 'choices= must be a comma-separated list');
  const list = v.split(',').map((c) => c.trim());
  if (list.some((c) => c === '') || new Set(list).size !== list.length) {
    schemaError(source, key, 'choices= must list distinct, non-empty names');
  }
  return list;
}

function isRawValue(v: unknown): v is RawValue {
  return typeof v === 'string' || typeof v === 'boolean';
}

function isConfigField(name: string): name is keyof Config {
  return Object.hasOwn(CONFIG_FIELDS, name);
}

function schemaError(source: string, key: string, what: string): never {
  throw new GeorepError('CONFIG_INVALID', `option schema ${source}: [${key}] ${what}`, { path: source });
}

/** 'sync-jobs' → 'syncJobs'. */
export const camel = (key: string): string => key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** 'syncJobs' → 'sync-jobs'. */
export const kebab = (field: string): string => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
