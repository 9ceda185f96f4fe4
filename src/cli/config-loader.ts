// Config loader: merges schema defaults ← session values ← flags once into a frozen Config.
// Invariant: the result has every field, each validated; inputs are copied into null-prototype
// objects first, so a key such as "__proto__" or "constructor" is just an unknown option.

import { COMPRESS_KINDS, LOG_LEVELS, SYNC_METHODS, SYNC_MODES, WATCHER_KINDS } from '../config.js';
import type { Config } from '../config.js';
import { GeorepError } from '../errors.js';
import { closestKey } from './closest-key.js';
import { loadSchema } from './options.js';
import type { OptionSpec, Schema } from './options.js';
import { parseOptionValue } from './values.js';
import type { OptionValue, RawValue } from './values.js';

/** One source of values, keyed by option name ('sync-jobs'); `source` names it in messages. */
export interface ConfigLayer {
  readonly source: string;
  readonly values: Readonly<Record<string, RawValue>>;
}

/** Later layers win: resolveConfig([session, flags]) applies flags over session over defaults. */
export function resolveConfig(layers: readonly ConfigLayer[], schema: Schema = loadSchema()): Config {
  const merged = Object.create(null) as Record<string, OptionValue>;
  for (const spec of schema.options.values()) merged[spec.field] = spec.defaultValue;
  for (const layer of layers) {
    const values = Object.assign(Object.create(null) as Record<string, RawValue>, layer.values);
    for (const key of Object.keys(values)) {
      const raw = values[key];
      if (raw === undefined) continue;
      const spec = specFor(schema, key, layer.source);
      merged[spec.field] = parseOptionValue(spec, raw, layer.source);
    }
  }
  return Object.freeze(buildConfig(merged));
}

/** The spec of `key`, or CONFIG_UNKNOWN_KEY naming the closest valid key. */
export function specFor(schema: Schema, key: string, source: string): OptionSpec {
  const spec = schema.options.get(key);
  if (spec !== undefined) return spec;
  const near = closestKey(key, schema.options.keys());
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  throw new GeorepError('CONFIG_UNKNOWN_KEY', `unknown option ${JSON.stringify(key)} (from ${source})${hint}`);
}

function buildConfig(v: Readonly<Record<string, OptionValue>>): Config {
  return {
    syncJobs: num(v, 'syncJobs'),
    changeInterval: num(v, 'changeInterval'),
    changelogBatchSize: num(v, 'changelogBatchSize'),
    xsyncChangelogEntries: num(v, 'xsyncChangelogEntries'),
    syncBoxFiles: num(v, 'syncBoxFiles'),
    crawlRate: num(v, 'crawlRate'),
    verifyRate: num(v, 'verifyRate'),
    auditInterval: num(v, 'auditInterval'),
    auditSample: num(v, 'auditSample'),
    auditChecksum: bool(v, 'auditChecksum'),
    auditRepair: bool(v, 'auditRepair'),
    ignoreDeletes: bool(v, 'ignoreDeletes'),
    deleteBrakePercent: num(v, 'deleteBrakePercent'),
    deleteBrakeCount: num(v, 'deleteBrakeCount'),
    deleteBrakeMin: num(v, 'deleteBrakeMin'),
    seedCopy: bool(v, 'seedCopy'),
    specialSyncMode: oneOf(v, 'specialSyncMode', SYNC_MODES),
    useRsyncXattrs: bool(v, 'useRsyncXattrs'),
    syncMethod: oneOf(v, 'syncMethod', SYNC_METHODS),
    rsyncCommand: str(v, 'rsyncCommand'),
    rsyncOptions: str(v, 'rsyncOptions'),
    sshCommand: str(v, 'sshCommand'),
    sshPort: num(v, 'sshPort'),
    sshOptions: str(v, 'sshOptions'),
    sshIdentity: str(v, 'sshIdentity'),
    remoteGeorep: str(v, 'remoteGeorep'),
    slaveTimeout: num(v, 'slaveTimeout'),
    reconnectProbeInterval: num(v, 'reconnectProbeInterval'),
    compress: oneOf(v, 'compress', COMPRESS_KINDS),
    compressLevel: num(v, 'compressLevel'),
    logLevel: oneOf(v, 'logLevel', LOG_LEVELS),
    checkpoint: str(v, 'checkpoint'),
    watcher: oneOf(v, 'watcher', WATCHER_KINDS),
    watcherPolling: bool(v, 'watcherPolling'),
    watcherPollInterval: num(v, 'watcherPollInterval'),
    rolloverQuiet: num(v, 'rolloverQuiet'),
    sweepPublishInterval: num(v, 'sweepPublishInterval'),
    watchSettle: num(v, 'watchSettle'),
    watchCookieTimeout: num(v, 'watchCookieTimeout'),
    restartBackoff: num(v, 'restartBackoff'),
    restartBackoffMax: num(v, 'restartBackoffMax'),
    faultyAfterExits: num(v, 'faultyAfterExits'),
    stopTimeout: num(v, 'stopTimeout'),
    reconcileInterval: num(v, 'reconcileInterval'),
    blindWriteGap: num(v, 'blindWriteGap'),
    daemonHeap: num(v, 'daemonHeap'),
    retryBackoff: num(v, 'retryBackoff'),
    retryBackoffMax: num(v, 'retryBackoffMax'),
    metricsPort: num(v, 'metricsPort'),
    metricsAddress: str(v, 'metricsAddress'),
  };
}

// The schema loader has already checked each field's type against CONFIG_FIELDS; these guards
// turn a mismatch (a schema built by hand in code) into a clear error instead of a bad cast.
function num(v: Readonly<Record<string, OptionValue>>, field: keyof Config): number {
  const x = v[field];
  if (typeof x !== 'number') throw fieldError(field, 'a number', x);
  return x;
}

function bool(v: Readonly<Record<string, OptionValue>>, field: keyof Config): boolean {
  const x = v[field];
  if (typeof x !== 'boolean') throw fieldError(field, 'a boolean', x);
  return x;
}

function str(v: Readonly<Record<string, OptionValue>>, field: keyof Config): string {
  const x = v[field];
  if (typeof x !== 'string') throw fieldError(field, 'a string', x);
  return x;
}

function oneOf<T extends string>(
  v: Readonly<Record<string, OptionValue>>,
  field: keyof Config,
  choices: readonly T[],
): T {
  const x = v[field];
  const hit = choices.find((c) => c === x);
  if (hit === undefined) throw fieldError(field, `one of ${choices.join(', ')}`, x);
  return hit;
}

function fieldError(field: string, expects: string, got: OptionValue | undefined): GeorepError {
  return new GeorepError(
    'CONFIG_INVALID',
    `config field ${field} needs ${expects}, got ${String(got)} (check the option schema)`,
  );
}
