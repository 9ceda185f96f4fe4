// Option schema: conf/georep.conf covers every Config field, and a broken schema is refused
// with CONFIG_INVALID instead of producing a half-typed Config.

import { expect } from 'chai';
import { CONFIG_FIELDS, camel, kebab, loadSchema, parseSchema } from '../../src/cli/options.js';
import { GeorepError } from '../../src/errors.js';

const SECTION = (key: string, body: string): string => `[${key}]\n${body}\n`;

/** The shipped schema with one section replaced. */
function withSection(key: string, body: string): string {
  const text = loadSchema().options;
  let out = '';
  for (const spec of text.values()) {
    if (spec.key === key) {
      out += SECTION(key, body);
      continue;
    }
    const lines = [`value=${String(spec.defaultValue)}`, `type=${spec.type}`, `help=${spec.help}`];
    if (spec.min !== undefined) lines.push(`min=${spec.min}`);
    if (spec.max !== undefined) lines.push(`max=${spec.max}`);
    if (spec.choices !== undefined) lines.push(`choices=${spec.choices.join(',')}`);
    out += SECTION(spec.key, lines.join('\n'));
  }
  return out;
}

function schemaCode(text: string): string | undefined {
  try {
    parseSchema(text, 'test.conf');
  } catch (e) {
    if (e instanceof GeorepError) return e.code;
    throw e;
  }
  return undefined;
}

describe('cli/options', () => {
  it('has one section per Config field, each with help', () => {
    const schema = loadSchema();
    expect([...schema.options.values()].map((o) => o.field).sort()).to.deep.equal(Object.keys(CONFIG_FIELDS).sort());
    for (const o of schema.options.values()) expect(o.help.length, o.key).to.be.greaterThan(20);
  });

  it('maps kebab keys to camel fields and back', () => {
    expect(camel('xsync-changelog-entries')).to.equal('xsyncChangelogEntries');
    expect(kebab('useRsyncXattrs')).to.equal('use-rsync-xattrs');
  });

  it('round-trips through the test rebuild unchanged', () => {
    expect(schemaCode(withSection('sync-jobs', 'value=3\ntype=int\nmin=1\nmax=64\nhelp=Parallel copies.'))).to.equal(
      undefined,
    );
  });

  const broken: readonly [string, string, string][] = [
    ['default outside its range', 'sync-jobs', 'value=0\ntype=int\nmin=1\nmax=64\nhelp=Parallel copies.'],
    ['wrong type for the field', 'sync-jobs', 'value=3\ntype=string\nhelp=Parallel copies.'],
    ['unknown type', 'sync-jobs', 'value=3\ntype=float\nhelp=Parallel copies.'],
    ['missing help', 'sync-jobs', 'value=3\ntype=int'],
    ['missing value', 'sync-jobs', 'type=int\nhelp=Parallel copies.'],
    ['unknown setting', 'sync-jobs', 'value=3\ntype=int\nhelp=Parallel copies.\ndefault=4'],
    ['min above max', 'sync-jobs', 'value=3\ntype=int\nmin=9\nmax=2\nhelp=Parallel copies.'],
    ['choice the code lacks', 'sync-method', 'value=rsync\ntype=choice\nchoices=rsync,scp\nhelp=How data travels.'],
    ['choice without choices', 'sync-method', 'value=rsync\ntype=choice\nhelp=How data travels.'],
    ['min on a fraction', 'audit-sample', 'value=1\ntype=fraction\nmin=0\nhelp=Share of entries audited.'],
    ['fraction default out of range', 'audit-sample', 'value=0\ntype=fraction\nhelp=Share of entries audited.'],
    ['min on a string', 'rsync-command', 'value=rsync\ntype=string\nmin=1\nhelp=The rsync program.'],
  ];
  for (const [what, key, body] of broken) {
    it(`refuses a schema with ${what}`, () => {
      expect(schemaCode(withSection(key, body))).to.equal('CONFIG_INVALID');
    });
  }

  it('refuses a schema missing a field or naming an unknown one', () => {
    const full = withSection('sync-jobs', 'value=3\ntype=int\nhelp=Parallel copies.');
    expect(schemaCode(full.replace(/\[crawl-rate\][^[]*/, ''))).to.equal('CONFIG_INVALID');
    expect(schemaCode(`${full}[warp-speed]\nvalue=1\ntype=int\nhelp=Faster than light.\n`)).to.equal('CONFIG_INVALID');
  });
});
