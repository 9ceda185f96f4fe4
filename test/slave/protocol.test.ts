// protocol.ts validators: each LIMITS entry at the limit and one past it, hostile names,
// malformed shapes.

import { expect } from 'chai';
import { GeorepError } from '../../src/errors.js';
import { LIMITS, decodeName, decodeTarget, validateParams } from '../../src/slave/index.js';
import type { MethodName } from '../../src/slave/index.js';
import { ROOT_GFID, newGfid, ops, wire } from './harness.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof GeorepError) return e.code;
    throw e;
  }
}

const check = (method: MethodName, params: unknown) => codeOf(() => validateParams(method, params));
const createNamed = (name: string) => ({ ops: [{ ...ops.create(newGfid(), ROOT_GFID, 'x'), entry: { pargfid: ROOT_GFID, name } }] });

describe('slave/protocol validators', () => {
  describe('names', () => {
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
      const op = { gfid: ROOT_GFID, mode: 0o755, uid: 0, gid: 0, atime: { sec: 1, nsec: 0 }, mtime: { sec: 1, nsec: 0 } };
      expect(check('metaOps', { ops: Array(LIMITS.opsPerBatch).fill(op) })).to.equal(undefined);
      expect(check('metaOps', { ops: Array(LIMITS.opsPerBatch + 1).fill(op) })).to.equal('LIMIT_EXCEEDED');
    });

    it('accepts LIMITS.gfidsPerCall gfids and rejects one more, for each gfid-list method', () => {
      const gfids = (n: number) => Array<string>(n).fill(ROOT_GFID);
      expect(check('stageData', { gfids: gfids(LIMITS.gfidsPerCall), basis: true })).to.equal(undefined);
      expect(check('stageData', { gfids: gfids(LIMITS.gfidsPerCall + 1), basis: true })).to.equal('LIMIT_EXCEEDED');
      expect(check('commitData', { gfids: gfids(LIMITS.gfidsPerCall) })).to.equal(undefined);
      expect(check('commitData', { gfids: gfids(LIMITS.gfidsPerCall + 1) })).to.equal('LIMIT_EXCEEDED');
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
      const meta = { gfid: ROOT_GFID, mode: 0o755, uid: 0, gid: 0, atime: { sec: 1, nsec: 0 }, mtime: { sec: -5, nsec: 999_999_999 } };
      expect(check('metaOps', { ops: [meta] })).to.equal(undefined);
      expect(check('metaOps', { ops: [{ ...meta, mtime: { sec: 1, nsec: 1e9 } }] })).to.equal('BAD_REQUEST');
      const hello = { version: 1, masterVolume: newGfid(), masterPath: '/m', rebind: false };
      expect(check('hello', hello)).to.equal(undefined);
      expect(check('hello', { ...hello, masterVolume: 'vol' })).to.equal('BAD_REQUEST');
      expect(check('hello', { ...hello, rebind: 'yes' })).to.equal('BAD_REQUEST');
      expect(check('hello', { ...hello, masterPath: 'p'.repeat(LIMITS.pathBytes + 1) })).to.equal('PATH_TOO_LONG');
      expect(check('setStime', { stimeMs: -1 })).to.equal('BAD_REQUEST');
      expect(check('setStime', { stimeMs: 1_700_000_000_000 })).to.equal(undefined);
      expect(check('bye', {})).to.equal(undefined);
    });

    it('returns fresh objects holding only declared fields', () => {
      const op = { ...ops.unlink(newGfid(), ROOT_GFID, 'f'), extra: 1, ['__proto__']: { polluted: true } };
      const out = validateParams('entryOps', { ops: [op] }).ops[0];
      expect(out).to.deep.equal(ops.unlink(op.gfid, ROOT_GFID, 'f'));
      expect(Object.keys(out ?? {})).to.not.include('extra');
    });
  });
});
