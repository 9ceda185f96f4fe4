// Config loader: defaults from conf/georep.conf, layering (schema ← session ← flags), every
// validation error code, the closest-key suggestion, and bool spellings.

import { expect } from 'chai';
import { resolveConfig, specFor } from '../../src/cli/config-loader.js';
import { loadSchema } from '../../src/cli/options.js';
import type { RawValue } from '../../src/cli/values.js';
import { GeorepError } from '../../src/errors.js';
import { codeOf } from '../support/error-code.js';

const schema = loadSchema();
const flags = (values: Record<string, RawValue>) => ({ source: 'the command line', values });
const session = (values: Record<string, RawValue>) => ({ source: '/w/georep.conf', values });

function errorOf(fn: () => unknown): GeorepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GeorepError) return e;
    throw e;
  }
  throw new Error('expected a GeorepError');
}

describe('cli/config-loader', () => {
  it('resolves every field from the schema defaults', () => {
    const c = resolveConfig([], schema);
    expect(c).to.deep.equal({
      syncJobs: 3,
      changeInterval: 1,
      changelogBatchSize: 727040,
      xsyncChangelogEntries: 8192,
      syncBoxFiles: 2000,
      crawlRate: 0,
      verifyRate: 0,
      auditInterval: 0,
      auditSample: 1,
      auditChecksum: false,
      auditRepair: false,
      ignoreDeletes: false,
      deleteBrakePercent: 10,
      deleteBrakeCount: 10000,
      deleteBrakeMin: 100,
      seedCopy: true,
      specialSyncMode: 'normal',
      useRsyncXattrs: false,
      syncMethod: 'rsync',
      rsyncCommand: 'rsync',
      rsyncOptions: '',
      sshCommand: 'ssh',
      sshPort: 0,
      sshOptions: '',
      sshIdentity: '',
      remoteGeorep: 'georep',
      slaveTimeout: 60,
      reconnectProbeInterval: 1,
      compress: 'zstd',
      compressLevel: 1,
      logLevel: 'info',
      checkpoint: '',
      watcher: 'inotify',
      watcherPolling: false,
      watcherPollInterval: 1000,
      rolloverQuiet: 50,
      sweepPublishInterval: 100,
      watchSettle: 1000,
      watchCookieTimeout: 10000,
      restartBackoff: 1,
      restartBackoffMax: 60,
      faultyAfterExits: 3,
      stopTimeout: 10,
      reconcileInterval: 3600,
      blindWriteGap: 10,
      daemonHeap: 128,
      retryBackoff: 1,
      retryBackoffMax: 300,
      metricsPort: 0,
      metricsAddress: '127.0.0.1',
    });
  });

  it('returns a frozen object', () => {
    const c = resolveConfig([], schema);
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it('applies layers in order: defaults, then session, then flags', () => {
    const c = resolveConfig([session({ 'sync-jobs': '5', 'crawl-rate': '100' }), flags({ 'sync-jobs': '7' })], schema);
    expect(c.syncJobs).to.equal(7);
    expect(c.crawlRate).to.equal(100);
    expect(c.syncBoxFiles).to.equal(2000);
  });

  it('parses bytes and seconds with suffixes', () => {
    const c = resolveConfig([flags({ 'changelog-batch-size': '1M', 'change-interval': '2m' })], schema);
    expect(c.changelogBatchSize).to.equal(1024 * 1024);
    expect(c.changeInterval).to.equal(120);
  });

  it('accepts bools as booleans and as words', () => {
    for (const [raw, want] of [
      [true, true],
      ['true', true],
      ['yes', true],
      ['ON', true],
      ['1', true],
      [false, false],
      ['false', false],
      ['no', false],
      ['off', false],
      ['0', false],
    ] as const) {
      expect(resolveConfig([flags({ 'ignore-deletes': raw })], schema).ignoreDeletes, String(raw)).to.equal(want);
    }
  });

  it('parses a fraction (audit-sample) as a decimal in (0, 1]', () => {
    for (const [raw, want] of [
      ['0.01', 0.01],
      ['.5', 0.5],
      ['1', 1],
      ['1.0', 1],
      [0.25, 0.25],
    ] as const) {
      expect(resolveConfig([flags({ 'audit-sample': raw })], schema).auditSample, String(raw)).to.equal(want);
    }
    expect(resolveConfig([flags({ 'audit-interval': '10m' })], schema).auditInterval).to.equal(600);
  });

  it('accepts choices case-insensitively and stores the canonical name', () => {
    expect(resolveConfig([flags({ 'sync-method': 'TarSSH' })], schema).syncMethod).to.equal('tarssh');
  });

  it('accepts checkpoint empty, now or unix seconds', () => {
    expect(resolveConfig([flags({ checkpoint: 'now' })], schema).checkpoint).to.equal('now');
    expect(resolveConfig([flags({ checkpoint: '1700000000' })], schema).checkpoint).to.equal('1700000000');
  });

  it('rejects an unknown key with CONFIG_UNKNOWN_KEY naming the closest valid key', () => {
    const e = errorOf(() => resolveConfig([flags({ 'sync-job': '4' })], schema));
    expect(e.code).to.equal('CONFIG_UNKNOWN_KEY');
    expect(e.message).to.include('sync-jobs');
    expect(errorOf(() => specFor(schema, 'ignoreDeletes', 'x')).message).to.include('ignore-deletes');
    expect(errorOf(() => specFor(schema, 'rsync_opts', 'x')).message).to.include('rsync-options');
  });

  it('treats prototype names as unknown keys, not as fields', () => {
    const values = JSON.parse('{"__proto__": "1"}') as Record<string, RawValue>;
    expect(codeOf(() => resolveConfig([flags(values)], schema))).to.equal('CONFIG_UNKNOWN_KEY');
    expect(codeOf(() => resolveConfig([flags({ constructor: '1' })], schema))).to.equal('CONFIG_UNKNOWN_KEY');
  });

  const invalid: readonly [string, RawValue][] = [
    ['sync-jobs', '0'],
    ['sync-jobs', '65'],
    ['sync-jobs', 'abc'],
    ['sync-jobs', '2.5'],
    ['sync-jobs', 2.5],
    ['sync-jobs', true],
    ['change-interval', '0'],
    ['change-interval', '2d'],
    ['changelog-batch-size', '2G'],
    ['changelog-batch-size', '-1'],
    ['crawl-rate', '-1'],
    ['ignore-deletes', 'maybe'],
    ['special-sync-mode', 'fast'],
    ['sync-method', 'scp'],
    ['log-level', 'trace'],
    ['checkpoint', 'yesterday'],
    ['checkpoint', '-5'],
    ['rsync-command', ''],
    ['ssh-command', '  '],
    ['rsync-options', '--inplace'],
    ['rsync-options', '--bwlimit=10 --append'],
    ['rsync-options', '--remove-source-files'],
    ['rsync-options', '--delete-after'],
    ['ssh-port', '70000'],
    ['ssh-identity', 'relative/key'],
    ['slave-timeout', '1'],
    ['compress', 'lz4'],
    ['audit-sample', '0'],
    ['audit-sample', '1.5'],
    ['audit-sample', '-0.1'],
    ['audit-sample', '1%'],
    ['audit-sample', 'all'],
    ['audit-sample', 2],
    ['audit-interval', '-1'],
  ];
  for (const [key, raw] of invalid) {
    it(`rejects ${key}=${JSON.stringify(raw)} with CONFIG_INVALID naming the option and the value`, () => {
      const e = errorOf(() => resolveConfig([flags({ [key]: raw })], schema));
      expect(e.code).to.equal('CONFIG_INVALID');
      expect(e.message).to.include(key);
      expect(e.message).to.include(String(raw));
    });
  }

  it('names the layer a bad value came from', () => {
    const e = errorOf(() => resolveConfig([session({ 'sync-jobs': 'x' })], schema));
    expect(e.message).to.include('/w/georep.conf');
  });

  it('does not let a later layer mask an invalid earlier one', () => {
    expect(codeOf(() => resolveConfig([session({ 'sync-jobs': 'x' }), flags({ 'sync-jobs': '2' })], schema))).to.equal(
      'CONFIG_INVALID',
    );
  });
});
