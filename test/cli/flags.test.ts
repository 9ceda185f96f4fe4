// Schema flags: a bare bool flag never swallows the next argument, and only flags the user
// typed reach the config layer.

import { expect } from 'chai';
import { Command } from 'commander';
import { addSchemaOptions, collectSchemaFlags, normalizeBoolFlags } from '../../src/cli/flags.js';
import { loadSchema } from '../../src/cli/options.js';

const schema = loadSchema();

describe('cli/flags', () => {
  describe('normalizeBoolFlags', () => {
    it('turns a bare bool flag into --KEY=true', () => {
      expect(normalizeBoolFlags(['sync', '--ignore-deletes', '/m', '/s'], schema)).to.deep.equal([
        'sync',
        '--ignore-deletes=true',
        '/m',
        '/s',
      ]);
      expect(normalizeBoolFlags(['sync', '/m', '/s', '--use-rsync-xattrs'], schema)).to.deep.equal([
        'sync',
        '/m',
        '/s',
        '--use-rsync-xattrs=true',
      ]);
    });

    it('keeps an explicit bool value', () => {
      expect(normalizeBoolFlags(['--ignore-deletes', 'false', '/m'], schema)).to.deep.equal([
        '--ignore-deletes',
        'false',
        '/m',
      ]);
      expect(normalizeBoolFlags(['--ignore-deletes=no'], schema)).to.deep.equal(['--ignore-deletes=no']);
    });

    it('leaves non-bool flags and everything after -- alone', () => {
      expect(normalizeBoolFlags(['--sync-jobs', '4', '--', '--ignore-deletes', 'x'], schema)).to.deep.equal([
        '--sync-jobs',
        '4',
        '--',
        '--ignore-deletes',
        'x',
      ]);
    });
  });

  describe('addSchemaOptions / collectSchemaFlags', () => {
    function parse(argv: string[]): Record<string, unknown> {
      const cmd = new Command('t')
        .exitOverride()
        .argument('[rest...]')
        .action(() => undefined);
      const attributes = addSchemaOptions(cmd, schema);
      cmd.parse(normalizeBoolFlags(argv, schema), { from: 'user' });
      return { ...collectSchemaFlags(cmd, attributes) };
    }

    it('offers every schema option as a flag', () => {
      const cmd = new Command('t');
      addSchemaOptions(cmd, schema);
      const longs = cmd.options.map((o) => o.long);
      for (const key of schema.options.keys()) expect(longs).to.include(`--${key}`);
    });

    it('collects only what was typed, by option key', () => {
      expect(parse([])).to.deep.equal({});
      expect(parse(['--sync-jobs', '4', '--ignore-deletes', 'a'])).to.deep.equal({
        'sync-jobs': '4',
        'ignore-deletes': 'true',
      });
      expect(parse(['--rsync-options', '--bwlimit=5'])).to.deep.equal({ 'rsync-options': '--bwlimit=5' });
    });
  });
});
