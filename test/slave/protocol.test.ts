// protocol.ts validators: each LIMITS entry at the limit and one past it, hostile names,
// malformed shapes.

import { expect } from 'chai';
import fc from 'fast-check';
import { displayPath } from '../../src/changelog/index.js';
import { GeorepError } from '../../src/errors.js';
import {
  LIMITS,
  PROTOCOL_VERSION,
  checkName,
  decodeName,
  decodePath,
  decodeTarget,
  validateParams,
} from '../../src/slave/index.js';
import type { EntryOp, MethodName } from '../../src/slave/index.js';
import { ROOT_GFID, at, item, newGfid, ops, wire } from './harness.js';
import { codeOf } from '../support/error-code.js';

const check = (method: MethodName, params: unknown) => codeOf(() => validateParams(method, params));

/** A plain path of exactly `bytes` bytes: components of 'a' (at most 200 bytes each) joined by '/'. */
function plainPathOf(bytes: number): string {
  const parts: string[] = [];
  let left = bytes;
  while (left > 201) {
    parts.push('a'.repeat(200));
    left -= 201;
  }
  parts.push('a'.repeat(left));
  return parts.join('/');
}

/** The same path with its first 'a' written as %61: same bytes, but only the escaped decoder takes it. */
const escapedForm = (w: string): string => w.replace('a', '%61');

/** decodePath's answer as a comparable value: the bytes (hex), or the error code. */
function decoded(w: string): string {
  try {
    return decodePath(w).toString('hex');
  } catch (e) {
    if (e instanceof GeorepError) return e.code;
    throw e;
  }
}
const createNamed = (name: string) => ({
  ops: [{ ...ops.create(newGfid(), ROOT_GFID, 'x'), entry: { pargfid: ROOT_GFID, name } }],
});

describe('slave/protocol validators', () => {
  describe('names', () => {
    it('checkName (no decoding for plain names) agrees with decodeName on every string', () => {
      const escaped = fc.uint8Array({ maxLength: 300 }).map((b) => wire(Buffer.from(b)));
      const anyText = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 140 }), escaped);
      fc.assert(
        fc.property(anyText, (w) => {
          expect(
            codeOf(() => checkName(w)),
            JSON.stringify(w),
          ).to.equal(codeOf(() => decodeName(w)));
        }),
        { numRuns: 2000 },
      );
      for (const w of ['', '.', '..', 'a/b', 'a b', '%zz', 'x'.repeat(256), 'é'.repeat(128)]) {
        expect(
          codeOf(() => checkName(w)),
          w,
        ).to.equal(codeOf(() => decodeName(w)));
      }
    });

    it('accepts a 255-byte name and rejects 256 bytes with NAME_TOO_LONG', () => {
      expect(decodeName(wire('a'.repeat(LIMITS.nameBytes)))).to.have.length(255);
      expect(codeOf(() => decodeName(wire('a'.repeat(LIMITS.nameBytes + 1))))).to.equal('NAME_TOO_LONG');
      // Multi-byte characters count as bytes: 127 × 'é' (2 bytes) + 'a' = 255 bytes.
      expect(codeOf(() => decodeName(wire('é'.repeat(127) + 'a')))).to.equal(undefined);
      expect(codeOf(() => decodeName(wire('é'.repeat(128))))).to.equal('NAME_TOO_LONG');
      // 255 escaped bytes (%FF each) decode to 255 bytes.
      expect(codeOf(() => decodeName('%FF'.repeat(255)))).to.equal(undefined);
      expect(codeOf(() => decodeName('%FF'.repeat(256)))).to.equal('NAME_TOO_LONG');
    });

    it('rejects hostile names with BAD_NAME', () => {
      for (const bad of ['', '.', '..', '%2E%2E', 'a%2Fb', '%2F', 'a%00b', 'a/b', 'bad%ZZ']) {
        expect(check('entryOps', createNamed(bad)), bad).to.equal('BAD_NAME');
      }
      expect(check('entryOps', createNamed('...'))).to.equal(undefined);
      expect(check('entryOps', createNamed('.hidden'))).to.equal(undefined);
    });

    it('bounds symlink targets by LIMITS.pathBytes (PATH_TOO_LONG), and rejects empty or NUL', () => {
      expect(decodeTarget(wire('t'.repeat(LIMITS.pathBytes)))).to.have.length(LIMITS.pathBytes);
      expect(codeOf(() => decodeTarget(wire('t'.repeat(LIMITS.pathBytes + 1))))).to.equal('PATH_TOO_LONG');
      expect(codeOf(() => decodeTarget(''))).to.equal('BAD_NAME');
      expect(codeOf(() => decodeTarget('a%00'))).to.equal('BAD_NAME');
      expect(decodeTarget(wire('../../etc/passwd')).toString()).to.equal('../../etc/passwd');
    });
  });

  describe('batch limits', () => {
    it('accepts LIMITS.opsPerBatch entry ops and rejects one more with LIMIT_EXCEEDED', () => {
      const batch = (n: number) => ({ ops: Array.from({ length: n }, () => ops.unlink(newGfid(), ROOT_GFID, 'f')) });
      expect(check('entryOps', batch(LIMITS.opsPerBatch))).to.equal(undefined);
      expect(check('entryOps', batch(LIMITS.opsPerBatch + 1))).to.equal('LIMIT_EXCEEDED');
    });

    it('accepts LIMITS.opsPerBatch meta ops and rejects one more', () => {
      const op = {
        gfid: ROOT_GFID,
        mode: 0o755,
        uid: 0,
        gid: 0,
        atime: { sec: 1, nsec: 0 },
        mtime: { sec: 1, nsec: 0 },
      };
      expect(check('metaOps', { ops: Array(LIMITS.opsPerBatch).fill(op) })).to.equal(undefined);
      expect(check('metaOps', { ops: Array(LIMITS.opsPerBatch + 1).fill(op) })).to.equal('LIMIT_EXCEEDED');
    });

    it('accepts LIMITS.gfidsPerCall gfids or stage items and rejects one more, for each list method', () => {
      const gfids = (n: number) => Array<string>(n).fill(ROOT_GFID);
      const items = (n: number) => Array.from({ length: n }, (_, i) => item(ROOT_GFID, `f${i}`));
      expect(check('stageData', { box: 'b', items: items(LIMITS.gfidsPerCall), basis: true })).to.equal(undefined);
      expect(check('stageData', { box: 'b', items: items(LIMITS.gfidsPerCall + 1), basis: true })).to.equal(
        'LIMIT_EXCEEDED',
      );
      expect(check('commitData', { box: 'b', items: items(LIMITS.gfidsPerCall) })).to.equal(undefined);
      expect(check('commitData', { box: 'b', items: items(LIMITS.gfidsPerCall + 1) })).to.equal('LIMIT_EXCEEDED');
      expect(check('purgeUnknown', { dirs: gfids(LIMITS.gfidsPerCall) })).to.equal(undefined);
      expect(check('purgeUnknown', { dirs: gfids(LIMITS.gfidsPerCall + 1) })).to.equal('LIMIT_EXCEEDED');
    });
  });

  describe('shapes', () => {
    it('rejects malformed gfids, numbers and fields with BAD_REQUEST', () => {
      const good = ops.create(newGfid(), ROOT_GFID, 'f');
      const bads: unknown[] = [
        null,
        [],
        { ops: 'x' },
        { ops: [{ ...good, gfid: 'not-a-gfid' }] },
        { ops: [{ ...good, gfid: 'ABCDEF00-0000-4000-8000-000000000001' }] },
        { ops: [{ ...good, mode: -1 }] },
        { ops: [{ ...good, mode: 1.5 }] },
        { ops: [{ ...good, uid: 2 ** 32 }] },
        { ops: [{ ...good, gid: '0' }] },
        { ops: [{ ...good, op: 'CHMOD' }] },
        { ops: [{ ...good, op: 'constructor' }] },
        { ops: [{ ...good, entry: { pargfid: ROOT_GFID } }] },
        { ops: [{ op: 'RENAME', gfid: newGfid(), entry: good.entry }] },
      ];
      for (const bad of bads) expect(check('entryOps', bad), JSON.stringify(bad)).to.equal('BAD_REQUEST');
    });

    it('checks timespecs, hello and setStime params', () => {
      const meta = {
        gfid: ROOT_GFID,
        mode: 0o755,
        uid: 0,
        gid: 0,
        atime: { sec: 1, nsec: 0 },
        mtime: { sec: -5, nsec: 999_999_999 },
      };
      expect(check('metaOps', { ops: [meta] })).to.equal(undefined);
      expect(check('metaOps', { ops: [{ ...meta, mtime: { sec: 1, nsec: 1e9 } }] })).to.equal('BAD_REQUEST');
      const hello = { version: PROTOCOL_VERSION, masterVolume: newGfid(), masterPath: '/m', rebind: false };
      expect(check('hello', hello)).to.equal(undefined);
      expect(check('hello', { ...hello, masterVolume: 'vol' })).to.equal('BAD_REQUEST');
      expect(check('hello', { ...hello, rebind: 'yes' })).to.equal('BAD_REQUEST');
      expect(check('hello', { ...hello, masterPath: 'p'.repeat(LIMITS.pathBytes + 1) })).to.equal('PATH_TOO_LONG');
      expect(check('setStime', { stimeMs: -1 })).to.equal('BAD_REQUEST');
      expect(check('setStime', { stimeMs: 1_700_000_000_000 })).to.equal(undefined);
      expect(check('bye', {})).to.equal(undefined);
    });

    it('checks CREATE deferred as a boolean, and adds it only when sent', () => {
      const create = ops.create(newGfid(), ROOT_GFID, 'f');
      expect(check('entryOps', { ops: [{ ...create, deferred: 'yes' }] })).to.equal('BAD_REQUEST');
      expect(validateParams('entryOps', { ops: [{ ...create, deferred: true }] }).ops[0]).to.deep.equal({
        ...create,
        deferred: true,
      });
      expect(validateParams('entryOps', { ops: [create] }).ops[0]).to.not.have.property('deferred');
    });

    it('checks RENAME gone as a boolean, and adds it only when sent', () => {
      const mv = ops.rename(newGfid(), at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b'));
      expect(check('entryOps', { ops: [{ ...mv, gone: 1 }] })).to.equal('BAD_REQUEST');
      expect(validateParams('entryOps', { ops: [{ ...mv, gone: true }] }).ops[0]).to.deep.equal({ ...mv, gone: true });
      expect(validateParams('entryOps', { ops: [mv] }).ops[0]).to.not.have.property('gone');
    });

    it('checks RENAME alsoNamed as a list of entries, and adds it only when sent', () => {
      const mv = ops.rename(newGfid(), at(ROOT_GFID, 'a'), at(ROOT_GFID, 'a'));
      const also = [at(newGfid(), 'b'), at(ROOT_GFID, 'c')];
      expect(validateParams('entryOps', { ops: [{ ...mv, alsoNamed: also }] }).ops[0]).to.deep.equal({
        ...mv,
        alsoNamed: also,
      });
      expect(check('entryOps', { ops: [{ ...mv, alsoNamed: at(ROOT_GFID, 'b') }] }), 'not a list').to.equal(
        'BAD_REQUEST',
      );
      expect(check('entryOps', { ops: [{ ...mv, alsoNamed: [{ pargfid: 'x', name: 'b' }] }] })).to.equal('BAD_REQUEST');
      expect(check('entryOps', { ops: [{ ...mv, alsoNamed: [at(ROOT_GFID, '../b')] }] }), 'a path').to.equal(
        'BAD_NAME',
      );
      expect(validateParams('entryOps', { ops: [mv] }).ops[0]).to.not.have.property('alsoNamed');
    });

    it('checks keepDeleted as a boolean on the ops that put an entry at a name, adds it only when sent, drops it elsewhere', () => {
      const g = newGfid();
      const placing: EntryOp[] = [
        ops.create(g, ROOT_GFID, 'f'),
        ops.mkdir(g, ROOT_GFID, 'd'),
        ops.mknod(g, ROOT_GFID, 'n', 0o10644),
        ops.symlink(g, ROOT_GFID, 's', 't'),
        ops.link(g, ROOT_GFID, 'l'),
        ops.rename(g, at(ROOT_GFID, 'a'), at(ROOT_GFID, 'b')),
      ];
      for (const op of placing) {
        expect(check('entryOps', { ops: [{ ...op, keepDeleted: 'yes' }] }), op.op).to.equal('BAD_REQUEST');
        expect(validateParams('entryOps', { ops: [{ ...op, keepDeleted: true }] }).ops[0], op.op).to.deep.equal({
          ...op,
          keepDeleted: true,
        });
        expect(validateParams('entryOps', { ops: [op] }).ops[0], op.op).to.not.have.property('keepDeleted');
      }
      // Nothing is put at an UNLINK's or RMDIR's name: the field is not theirs and goes.
      const rm = ops.rmdir(g, ROOT_GFID, 'd');
      expect(validateParams('entryOps', { ops: [{ ...rm, keepDeleted: true }] }).ops[0]).to.deep.equal(rm);
    });

    it('checks UNLINK and RMDIR gone as a boolean, and adds it only when sent', () => {
      for (const rm of [ops.unlink(newGfid(), ROOT_GFID, 'a'), ops.rmdir(newGfid(), ROOT_GFID, 'a')]) {
        expect(check('entryOps', { ops: [{ ...rm, gone: 'yes' }] })).to.equal('BAD_REQUEST');
        expect(validateParams('entryOps', { ops: [{ ...rm, gone: true }] }).ops[0]).to.deep.equal({
          ...rm,
          gone: true,
        });
        expect(validateParams('entryOps', { ops: [rm] }).ops[0]).to.not.have.property('gone');
      }
    });

    it('refuses a box whose items collide: one path twice, or a path inside another', () => {
      expect(
        check('stageData', { box: 'b', items: [item(ROOT_GFID, 'a/b'), item(ROOT_GFID, 'a/c')], basis: true }),
      ).to.equal(undefined);
      expect(
        check('stageData', { box: 'b', items: [item(ROOT_GFID, 'a'), item(ROOT_GFID, 'a')], basis: true }),
      ).to.equal('BAD_REQUEST');
      expect(
        check('stageData', { box: 'b', items: [item(ROOT_GFID, 'q'), item(ROOT_GFID, 'q/r')], basis: true }),
      ).to.equal('BAD_REQUEST');
      expect(check('commitData', { box: 'b', items: [item(ROOT_GFID, 'q/r'), item(ROOT_GFID, 'q')] })).to.equal(
        'BAD_REQUEST',
      );
    });

    it('checks stage items: a gfid and a valid path each', () => {
      const good = item(newGfid(), 'd/f');
      expect(check('stageData', { box: 'b', items: [good], basis: false })).to.equal(undefined);
      expect(check('stageData', { box: 'b', items: [good] })).to.equal('BAD_REQUEST');
      expect(check('commitData', { box: 'b', items: [{ ...good, gfid: 'nope' }] })).to.equal('BAD_REQUEST');
      expect(check('commitData', { box: 'b', items: [{ gfid: good.gfid }] })).to.equal('BAD_REQUEST');
      expect(check('commitData', { box: 'b', items: [{ ...good, path: '../../etc/passwd' }] })).to.equal('BAD_NAME');
      expect(check('commitData', { box: 'b', items: [{ ...good, path: '/etc/passwd' }] })).to.equal('BAD_NAME');
    });

    it('returns fresh objects holding only declared fields', () => {
      const op = { ...ops.unlink(newGfid(), ROOT_GFID, 'f'), extra: 1, ['__proto__']: { polluted: true } };
      const out = validateParams('entryOps', { ops: [op] }).ops[0];
      expect(out).to.deep.equal(ops.unlink(op.gfid, ROOT_GFID, 'f'));
      expect(Object.keys(out ?? {})).to.not.include('extra');
    });
  });

  describe('staging boxes', () => {
    const withBox = (box: unknown) => [
      check('stageData', { box, items: [], basis: true }),
      check('commitData', { box, items: [] }),
    ];

    it('accepts a box name of LIMITS.boxNameBytes characters and rejects one more', () => {
      expect(withBox('b'.repeat(LIMITS.boxNameBytes))).to.deep.equal([undefined, undefined]);
      expect(withBox('b'.repeat(LIMITS.boxNameBytes + 1))).to.deep.equal(['BAD_REQUEST', 'BAD_REQUEST']);
      expect(withBox('x')).to.deep.equal([undefined, undefined]);
      expect(withBox('Az09_-')).to.deep.equal([undefined, undefined]);
    });

    it('rejects a box name that is empty, not a string, or not plain [A-Za-z0-9_-]', () => {
      for (const bad of ['', '.', '..', 'a/b', '/b', 'a b', 'a.b', 'é', 'b\n', 7, null, undefined]) {
        expect(withBox(bad), String(bad)).to.deep.equal(['BAD_REQUEST', 'BAD_REQUEST']);
      }
    });
  });

  describe('paths (decodePath)', () => {
    it('decodes a WirePath made by displayPath back to the same bytes, plain or fully escaped', () => {
      // Components: any bytes but '/' and NUL, never '.' or '..', at most LIMITS.nameBytes.
      const component = fc
        .uint8Array({ minLength: 1, maxLength: 40 })
        .map((a) => Buffer.from(a.map((b) => (b === 0x2f || b === 0 ? 0x5f : b))))
        .filter((c) => !(c.length <= 2 && c.every((b) => b === 0x2e)));
      // Text too, so multi-byte UTF-8 (left literal by displayPath) takes the plain path.
      const text = fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
        .map((t) => Buffer.from(t.replace(/[/\0]/g, '_')))
        .filter((c) => !['.', '..'].includes(c.toString()));
      fc.assert(
        fc.property(fc.array(fc.oneof(component, text), { minLength: 1, maxLength: 6 }), (parts) => {
          const raw = Buffer.concat(parts.flatMap((c, i) => (i === 0 ? [c] : [Buffer.from('/'), c])));
          const everyByte = parts
            .map((c) => [...c].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''))
            .join('/');
          expect(decodePath(displayPath(raw)).equals(raw)).to.equal(true);
          expect(decodePath(everyByte).equals(raw)).to.equal(true);
        }),
      );
    });

    it('gives the same answer for a plain path and its escaped form', () => {
      const cases: [string, string][] = [
        ['a', Buffer.from('a').toString('hex')],
        ['a/b/c', Buffer.from('a/b/c').toString('hex')],
        ['.a/..a/a../...', Buffer.from('.a/..a/a../...').toString('hex')],
        ['dir a', 'BAD_NAME'], // a raw space: escapeName never leaves one
        ['a/./b', 'BAD_NAME'],
        ['a/../b', 'BAD_NAME'],
        ['./a', 'BAD_NAME'],
        ['../a', 'BAD_NAME'],
        ['a/.', 'BAD_NAME'],
        ['a/..', 'BAD_NAME'],
        ['a/%2E', 'BAD_NAME'], // '.' escaped is still '.'
        ['%2E%2E/a', 'BAD_NAME'],
        ['a%2Fb', 'BAD_NAME'], // an escaped '/' inside one component
        ['a%00', 'BAD_NAME'],
        ['/a', 'BAD_NAME'],
        ['a/', 'BAD_NAME'],
        ['a//b', 'BAD_NAME'],
        ['a\u0000b', 'BAD_NAME'],
        ['\ud800a', 'BAD_NAME'], // a lone surrogate has no UTF-8 form
        ['a%ZZ', 'BAD_NAME'],
      ];
      for (const [w, want] of cases) {
        expect([decoded(w), decoded(escapedForm(w))], JSON.stringify(w)).to.deep.equal([want, want]);
      }
      expect(decoded('')).to.equal('BAD_NAME');
    });

    it('accepts a 255-byte component and rejects 256 bytes with NAME_TOO_LONG, plain or escaped', () => {
      const name255 = 'a'.repeat(LIMITS.nameBytes);
      const multi255 = 'é'.repeat(127) + 'a'; // 2-byte characters count as 2
      for (const w of [name255, `d/${name255}`, `${name255}/d`, multi255]) {
        expect([decoded(w), decoded(escapedForm(w))], w.slice(0, 8)).to.deep.equal([
          Buffer.from(w).toString('hex'),
          Buffer.from(w).toString('hex'),
        ]);
      }
      for (const w of [`${name255}a`, `d/${name255}a`, `${name255}a/d`, `${multi255}a`]) {
        expect([decoded(w), decoded(escapedForm(w))], w.slice(0, 8)).to.deep.equal(['NAME_TOO_LONG', 'NAME_TOO_LONG']);
      }
      expect(decoded('%FF'.repeat(LIMITS.nameBytes))).to.equal('ff'.repeat(LIMITS.nameBytes));
      expect(decoded('%FF'.repeat(LIMITS.nameBytes + 1))).to.equal('NAME_TOO_LONG');
    });

    it('accepts a 4096-byte path and rejects 4097 bytes with PATH_TOO_LONG, plain or escaped', () => {
      const atLimit = plainPathOf(LIMITS.pathBytes);
      const over = plainPathOf(LIMITS.pathBytes + 1);
      expect(Buffer.byteLength(atLimit)).to.equal(LIMITS.pathBytes);
      expect([decoded(atLimit), decoded(escapedForm(atLimit))]).to.deep.equal([
        Buffer.from(atLimit).toString('hex'),
        Buffer.from(atLimit).toString('hex'),
      ]);
      expect([decoded(over), decoded(escapedForm(over))]).to.deep.equal(['PATH_TOO_LONG', 'PATH_TOO_LONG']);
      // Escaped bytes count once each: 4096 bytes written as %XX still fit.
      const everyByte = atLimit.replaceAll('a', '%61');
      expect(everyByte.length).to.be.greaterThan(2 * LIMITS.pathBytes);
      expect(decoded(everyByte)).to.equal(Buffer.from(atLimit).toString('hex'));
      expect(decoded(over.replaceAll('a', '%61'))).to.equal('PATH_TOO_LONG');
      expect(check('stageData', { box: 'b', items: [{ gfid: ROOT_GFID, path: over }], basis: true })).to.equal(
        'PATH_TOO_LONG',
      );
    });
  });
});
