// The packed listDir page (src/slave/listed-pack.ts): what the agent packs the master unpacks
// the same, and a page a real listing could not be is refused, whichever field is wrong.

import { expect } from 'chai';
import { LIMITS, unpackEntries, validateResult } from '../../src/slave/index.js';
import { EntryPacker, NATIVE_SLOTS, packedBytes } from '../../src/slave/listed-pack.js';
import { codeOf } from '../support/error-code.js';

/** Native stat slots (native/georep_fs.c pack_statx) of a file, with the slots in `set` changed. */
function nativeSlots(set: Record<number, bigint> = {}): BigInt64Array {
  const native = new BigInt64Array(NATIVE_SLOTS);
  native[1] = 2n ** 63n + 5n; // ino: an unsigned 64-bit value
  native[2] = 0o100644n;
  native[3] = 1n;
  native[11] = -5n; // mtime before 1970
  for (const [slot, v] of Object.entries(set)) native[Number(slot)] = v;
  return native;
}

/** A listDir reply of `names`, each a file with `set` applied, symlinks given `targets`. */
function page(names: string[], set: Record<number, bigint> = {}, targets: (string | undefined)[] = []) {
  const packer = new EntryPacker();
  const native = nativeSlots(set);
  names.forEach((n, i) => packer.add(Buffer.from(n, 'latin1'), native, 0, targets[i]));
  return { found: true, self: null, entries: packer.finish(), next: null };
}

const many = (n: number): string[] => Array.from({ length: n }, (_, i) => `f${String(i).padStart(5, '0')}`);

describe('slave/listed-pack', () => {
  it('unpacks what it packed: names as bytes, every field, a symlink target, a large inode and a time before 1970', () => {
    const packer = new EntryPacker();
    const two = new BigInt64Array(2 * NATIVE_SLOTS);
    two.set(nativeSlots());
    two.set(nativeSlots({ 2: 0o120777n, 4: 1000n, 5: 1001n, 7: 9n, 12: 999_999_999n, 6: 0x0801n }), NATIVE_SLOTS);
    packer.add(Buffer.from('#a\n;b', 'latin1'), two, 0, undefined);
    packer.add(Buffer.from([0xff, 0x2d]), two, NATIVE_SLOTS, '..%2Fx');
    const [file, link] = unpackEntries(packer.finish());
    expect(file).to.deep.equal({
      name: Buffer.from('#a\n;b', 'latin1'),
      kind: 'file',
      mode: 0o100644,
      uid: 0,
      gid: 0,
      size: 0,
      mtimeNs: -5_000_000_000n,
      nlink: 1,
      ino: 2n ** 63n + 5n,
      rdev: 0,
    });
    expect(link).to.deep.include({ kind: 'symlink', uid: 1000, gid: 1001, size: 9, rdev: 0x0801 });
    expect(link?.name).to.deep.equal(Buffer.from([0xff, 0x2d]));
    expect(link?.mtimeNs).to.equal(-5_000_000_000n + 999_999_999n);
    expect(link?.target?.toString()).to.equal('../x');
    expect(unpackEntries(new EntryPacker().finish())).to.deep.equal([]);
  });

  it('bounds what an entry adds to a reply above what it does add, multi-byte and quoted targets too', () => {
    const name = Buffer.alloc(255, 0xe4);
    for (const target of ['x'.repeat(100), '中'.repeat(1365), '"\\'.repeat(500)]) {
      const packer = new EntryPacker();
      packer.add(name, nativeSlots({ 2: 0o120777n }), 0, target);
      const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));
      const added = bytes(packer.finish()) - bytes(new EntryPacker().finish());
      expect(packedBytes(name, target), target.slice(0, 3)).to.be.at.least(added);
    }
  });

  it('puts the slots on the wire little-endian from a big-endian host too', () => {
    const be = new EntryPacker(false); // this host's slots taken as big-endian: swapped for the wire
    be.add(Buffer.from('a'), nativeSlots({ 4: 1000n }), 0, undefined);
    const page = be.finish();
    expect(unpackEntries(page, false)[0]).to.deep.include({ mode: 0o100644, uid: 1000 });
    const le = new EntryPacker();
    le.add(Buffer.from('a'), nativeSlots({ 4: 1000n }), 0, undefined);
    expect(page.stats).to.not.equal(le.finish().stats); // a swap happened
  });

  it('refuses a page over LIMITS.listEntries, unsorted or repeated names, and names that are not one component', () => {
    expect(codeOf(() => validateResult('listDir', page(many(LIMITS.listEntries))))).to.equal(undefined);
    expect(codeOf(() => validateResult('listDir', page(many(LIMITS.listEntries + 1))))).to.equal('LIMIT_EXCEEDED');
    expect(codeOf(() => validateResult('listDir', page(['a/b'])))).to.equal('BAD_NAME');
    expect(codeOf(() => validateResult('listDir', page(['..'])))).to.equal('BAD_NAME');
    expect(codeOf(() => validateResult('listDir', page(['x'.repeat(256)])))).to.equal('NAME_TOO_LONG');
    expect(codeOf(() => validateResult('listDir', page(['b', 'a'])))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', page(['a', 'a'])))).to.equal('BAD_REQUEST');
  });

  it('refuses fields out of range, a mode of no file type, and targets that do not match the symlinks', () => {
    expect(codeOf(() => validateResult('listDir', page(['a'], { 2: 0o120777n })))).to.equal('BAD_REQUEST'); // no target
    expect(codeOf(() => validateResult('listDir', page(['a'], { 2: 0o120777n }, ['t'])))).to.equal(undefined);
    expect(codeOf(() => validateResult('listDir', page(['a'], {}, ['t'])))).to.equal('BAD_REQUEST'); // one too many
    expect(codeOf(() => validateResult('listDir', page(['a'], { 2: 0o120777n }, [''])))).to.equal('BAD_NAME');
    expect(codeOf(() => validateResult('listDir', page(['a'], { 2: 0o170644n })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', page(['a'], { 12: 1_000_000_000n })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', page(['a'], { 4: -1n })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', page(['a'], { 5: 2n ** 32n })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', page(['a'], { 7: 2n ** 60n })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', page(['a'], { 3: -1n })))).to.equal('BAD_REQUEST');
  });

  it('refuses encodings that are not base64, names without their NUL, and stats of the wrong length', () => {
    const good = page(['a']).entries;
    const withEntries = (e: object) => ({ found: true, self: null, entries: { ...good, ...e }, next: null });
    expect(codeOf(() => validateResult('listDir', withEntries({})))).to.equal(undefined);
    expect(codeOf(() => validateResult('listDir', withEntries({ stats: good.stats.slice(0, -4) })))).to.equal(
      'BAD_REQUEST',
    );
    expect(codeOf(() => validateResult('listDir', withEntries({ names: 'YQ==' })))).to.equal('BAD_REQUEST');
    for (const names of ['not base64!', 'YQ=a', 'Y===', 'YQ==YQ==', 'YQ'])
      expect(
        codeOf(() => validateResult('listDir', withEntries({ names }))),
        names,
      ).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', withEntries({ names: 42 })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', withEntries({ targets: 'x' })))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('listDir', { found: true, self: null, entries: [], next: null }))).to.equal(
      'BAD_REQUEST',
    );
  });
});
