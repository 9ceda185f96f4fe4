// Changelog file names: `<prefix>.<ts>` and `<prefix>.<ts>.<n>`; one canonical name per
// (prefix, ts, seq), anything else is not a changelog; order by (ts, seq), not by name.

import { expect } from 'chai';
import { changelogName, compareChangelogNames, parseChangelogName } from '../../src/changelog/changelog-name.js';

describe('changelog/changelog-name', () => {
  it('names and parses back the first file of a second and the ones after it', () => {
    expect(changelogName('CHANGELOG', 1700000000, 0)).to.equal('CHANGELOG.1700000000');
    expect(changelogName('XSYNC-CHANGELOG', 5, 12)).to.equal('XSYNC-CHANGELOG.5.12');
    for (const [prefix, ts, seq] of [
      ['CHANGELOG', 0, 0],
      ['CHANGELOG', 1700000000, 3],
      ['XSYNC-CHANGELOG', 99, 0],
    ] as const) {
      expect(parseChangelogName(changelogName(prefix, ts, seq))).to.deep.equal({ prefix, ts, seq });
    }
  });

  it('refuses names that are not exactly a changelog (temp, quarantined, non-canonical)', () => {
    for (const name of [
      'CHANGELOG',
      'CHANGELOG.',
      'CHANGELOG.012',
      'CHANGELOG.12.0',
      'CHANGELOG.12.01',
      'CHANGELOG.12.tmp',
      '.CHANGELOG.12',
      'CHANGELOG.12.corrupt',
      'changelog.12',
      'OTHER.12',
    ]) {
      expect(parseChangelogName(name), name).to.equal(undefined);
    }
  });

  it('orders by second, then sequence, where the names alone would not', () => {
    const names = ['CHANGELOG.10.10', 'CHANGELOG.9', 'CHANGELOG.10', 'CHANGELOG.10.9'];
    const sorted = names
      .map((n) => parseChangelogName(n)!) // each is a changelog name (checked above)
      .sort(compareChangelogNames)
      .map((c) => changelogName(c.prefix, c.ts, c.seq));
    expect(sorted).to.deep.equal(['CHANGELOG.9', 'CHANGELOG.10', 'CHANGELOG.10.9', 'CHANGELOG.10.10']);
  });
});
