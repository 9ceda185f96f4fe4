// Record format: parseRecord(formatRecord(c)) deep-equals c for any Change, and every
// malformed line fails with CHANGELOG_MALFORMED naming the file and the line.

import { expect } from 'chai';
import fc from 'fast-check';
import { formatRecord, parseRecord } from '../../src/changelog/format.js';
import { ROOT_GFID, asGfid } from '../../src/changelog/record.js';
import type { Change, EntryName, Gfid } from '../../src/changelog/record.js';
import { thrown } from '../support/error-code.js';

const gfidArb: fc.Arbitrary<Gfid> = fc.uuid().map((s) => {
  const g = asGfid(s.toLowerCase());
  if (g === undefined) throw new Error(`fc.uuid gave ${s}`);
  return g;
});

// Any bytes a filesystem accepts in a name: 1–255 bytes, no '/' or NUL, not '.' or '..'.
const nameByte = fc.integer({ min: 1, max: 254 }).map((b) => (b >= 0x2f ? b + 1 : b));
const nameArb = fc
  .array(nameByte, { minLength: 1, maxLength: 255 })
  .map((a) => Buffer.from(a))
  .filter((b) => b.toString('latin1') !== '.' && b.toString('latin1') !== '..');
const entryArb: fc.Arbitrary<EntryName> = fc.record({ pargfid: gfidArb, name: nameArb });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('D' as const), gfid: gfidArb }),
  fc.record({
    kind: fc.constant('M' as const),
    gfid: gfidArb,
    fop: fc.constantFrom('SETATTR' as const, 'SETXATTR' as const),
  }),
  fc.record({
    kind: fc.constant('E' as const),
    gfid: gfidArb,
    fop: fc.constantFrom('CREATE' as const, 'MKDIR' as const, 'MKNOD' as const),
    mode: u32,
    uid: u32,
    gid: u32,
    entry: entryArb,
  }),
  fc.record({
    kind: fc.constant('E' as const),
    gfid: gfidArb,
    fop: fc.constantFrom('LINK' as const, 'SYMLINK' as const, 'UNLINK' as const, 'RMDIR' as const),
    entry: entryArb,
  }),
  fc.record({
    kind: fc.constant('E' as const),
    gfid: gfidArb,
    fop: fc.constant('RENAME' as const),
    entry: entryArb,
    to: entryArb,
  }),
);

const G = 'c0ffee00-1234-4abc-8def-0123456789ab';
const R = ROOT_GFID;

describe('changelog record format', () => {
  it('round-trips random changes with random byte names', () => {
    fc.assert(
      fc.property(changeArb, (c) => {
        const line = formatRecord(c);
        expect(line).to.not.include('\n');
        expect(parseRecord(line, 'CHANGELOG.1', 1)).to.deep.equal(c);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes the GlusterFS grammar', () => {
    const name = Buffer.from('a b');
    expect(
      formatRecord({
        kind: 'E',
        gfid: G as Gfid,
        fop: 'CREATE',
        mode: 33188,
        uid: 0,
        gid: 7,
        entry: { pargfid: R, name },
      }),
    ).to.equal(`E ${G} CREATE 33188 0 7 ${R}/a%20b`);
    expect(
      formatRecord({
        kind: 'E',
        gfid: G as Gfid,
        fop: 'RENAME',
        entry: { pargfid: R, name },
        to: { pargfid: G as Gfid, name: Buffer.from('x%y') },
      }),
    ).to.equal(`E ${G} RENAME ${R}/a%20b ${G}/x%25y`);
    expect(formatRecord({ kind: 'D', gfid: G as Gfid })).to.equal(`D ${G}`);
    expect(formatRecord({ kind: 'M', gfid: G as Gfid, fop: 'SETXATTR' })).to.equal(`M ${G} SETXATTR`);
  });

  it('splits <pargfid>/<name> at the first slash', () => {
    const c = parseRecord(`E ${G} UNLINK ${G}/a%20b`, 'f', 1);
    expect(c).to.deep.equal({ kind: 'E', gfid: G, fop: 'UNLINK', entry: { pargfid: G, name: Buffer.from('a b') } });
  });

  const malformed: readonly [string, string][] = [
    ['empty line', ''],
    ['unknown record type', `X ${G}`],
    ['lowercase type', `d ${G}`],
    ['D without gfid', 'D'],
    ['D with a bad gfid', 'D not-a-gfid'],
    ['D with an uppercase gfid', `D ${G.toUpperCase()}`],
    ['D with an extra field', `D ${G} SETATTR`],
    ['double space', `D  ${G}`],
    ['trailing space', `D ${G} `],
    ['carriage return', `D ${G}\r`],
    ['unknown metadata fop', `M ${G} CHMOD`],
    ['M without fop', `M ${G}`],
    ['unknown entry fop', `E ${G} FROB ${R}/a`],
    ['E without fop', `E ${G}`],
    ['CREATE missing fields', `E ${G} CREATE 1 2 ${R}/a`],
    ['CREATE with a word for mode', `E ${G} CREATE x 0 0 ${R}/a`],
    ['CREATE with a negative uid', `E ${G} CREATE 420 -1 0 ${R}/a`],
    ['CREATE with gid past 32 bits', `E ${G} CREATE 420 0 4294967296 ${R}/a`],
    ['CREATE with a leading zero', `E ${G} CREATE 0644 0 0 ${R}/a`],
    ['CREATE with a fraction', `E ${G} CREATE 1.5 0 0 ${R}/a`],
    ['UNLINK with extra field', `E ${G} UNLINK ${R}/a ${R}/b`],
    ['entry without slash', `E ${G} UNLINK ${R}%2Fa`],
    ['bad parent gfid', `E ${G} UNLINK xyz/a`],
    ['empty name', `E ${G} UNLINK ${R}/`],
    ['dot name', `E ${G} UNLINK ${R}/.`],
    ['dot-dot name', `E ${G} RMDIR ${R}/..`],
    ['escaped dot-dot name', `E ${G} RMDIR ${R}/%2E%2E`],
    ['truncated escape', `E ${G} UNLINK ${R}/a%2`],
    ['bad escape', `E ${G} UNLINK ${R}/a%ZZ`],
    ['raw slash in name', `E ${G} LINK ${R}/a/b`],
    ['escaped slash in name (no filesystem holds one)', `E ${G} LINK ${R}/a%2Fb`],
    ['NUL in name', `E ${G} LINK ${R}/a%00b`],
    ['RENAME missing target', `E ${G} RENAME ${R}/a`],
    ['RENAME with bad target', `E ${G} RENAME ${R}/a ${R}/`],
  ];

  for (const [what, line] of malformed) {
    it(`rejects ${what} as CHANGELOG_MALFORMED with file and line`, () => {
      const e = thrown(() => parseRecord(line, '/work/CHANGELOG.1732270000', 17));
      expect(e.code).to.equal('CHANGELOG_MALFORMED');
      expect(e.message).to.include('/work/CHANGELOG.1732270000:17');
    });
  }

  it('quotes at most ~200 characters of a long bad line', () => {
    const e = thrown(() => parseRecord(`E ${G} UNLINK ${R}/${'x'.repeat(5000)}%G`, 'CHANGELOG.5', 3));
    expect(e.code).to.equal('CHANGELOG_MALFORMED');
    expect(e.message).to.include('CHANGELOG.5:3');
    expect(e.message.length).to.be.below(1000);
  });

  it('refuses to write a number it could not read back', () => {
    for (const mode of [-1, 1.5, 2 ** 32, Number.NaN]) {
      const c: Change = {
        kind: 'E',
        gfid: G as Gfid,
        fop: 'MKNOD',
        mode,
        uid: 0,
        gid: 0,
        entry: { pargfid: R, name: Buffer.from('n') },
      };
      expect(thrown(() => formatRecord(c)).code, String(mode)).to.equal('CHANGELOG_MALFORMED');
    }
  });

  it('refuses to write a name no filesystem could hold', () => {
    for (const name of ['', '.', '..', 'a/b', 'a\u0000b']) {
      const c: Change = { kind: 'E', gfid: G as Gfid, fop: 'UNLINK', entry: { pargfid: R, name: Buffer.from(name) } };
      expect(thrown(() => formatRecord(c)).code, JSON.stringify(name)).to.equal('BAD_NAME');
    }
  });
});
