// Name codec: escapeName/unescapeName are a lossless pair for any byte string, and the
// escaped form is safe inside a space-separated, line-based record.

import { expect } from 'chai';
import fc from 'fast-check';
import { escapeName, unescapeName } from '../../src/changelog/name-codec.js';
import { codeOf } from '../support/error-code.js';

const rawBytes = fc.uint8Array({ minLength: 0, maxLength: 255 }).map((a) => Buffer.from(a));
// Random bytes are rarely valid multi-byte UTF-8, so also mix in encoded text (any code point)
// and text cut at arbitrary byte offsets, which leaves partial sequences behind.
const text = fc.string({ unit: 'binary', maxLength: 60 }).map((s) => Buffer.from(s, 'utf8'));
const mixed = fc
  .array(
    fc.oneof(
      text,
      rawBytes.map((b) => b.subarray(0, 4)),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Buffer.concat(parts).subarray(0, 255));
const anyBytes = fc.oneof(rawBytes, text, mixed);

// Characters escapeName must leave as they are: printable ASCII except space, '%' and '/',
// plus multi-byte UTF-8 (2, 3 and 4 bytes).
const readableChars = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,~+=@#!()[]{}\'"',
  'é',
  'ß',
  'Ж',
  '日',
  '本',
  '€',
  '😀',
];

describe('name codec', () => {
  it('round-trips arbitrary byte strings of 0–255 bytes', () => {
    fc.assert(
      fc.property(anyBytes, (name) => {
        expect(unescapeName(escapeName(name)).equals(name)).to.equal(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves space, newline, slash, NUL or other controls raw', () => {
    fc.assert(
      fc.property(anyBytes, (name) => {
        const s = escapeName(name);
        expect(s).to.not.match(/[\u0000-\u0020\u007f/]/u);
        expect(s.isWellFormed()).to.equal(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps readable names literal', () => {
    const readable = fc
      .array(fc.constantFrom(...readableChars), { minLength: 1, maxLength: 60 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(readable, (s) => {
        expect(escapeName(Buffer.from(s, 'utf8'))).to.equal(s);
      }),
    );
  });

  it('escapes the record-breaking bytes as %XX', () => {
    expect(escapeName(Buffer.from('a b\nc/d%e\u0000\u007f'))).to.equal('a%20b%0Ac%2Fd%25e%00%7F');
    expect(escapeName(Buffer.from([0x66, 0xff, 0xc3]))).to.equal('f%FF%C3');
    expect(unescapeName('f%ff%C3').equals(Buffer.from([0x66, 0xff, 0xc3]))).to.equal(true);
  });

  it('rejects escaped forms escapeName cannot produce', () => {
    for (const bad of ['a%2', 'a%G0', '%', 'a b', 'a/b', 'a\nb', 'a\u0000b', '\ud800x']) {
      expect(
        codeOf(() => unescapeName(bad)),
        JSON.stringify(bad),
      ).to.equal('CHANGELOG_MALFORMED');
    }
  });
});
