// metaOps: mode, owner and times set by gfid, never through a symlink.

import { expect } from 'chai';
import { lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import type { MetaOp } from '../../src/slave/index.js';
import { ROOT_GFID, apply, makeTemp, newGfid, ops, useReadyAgent } from './harness.js';

const meta = (gfid: Gfid, over: Partial<MetaOp> = {}): MetaOp => ({
  gfid,
  mode: 0o640,
  uid: 1001,
  gid: 1002,
  atime: { sec: 1_500_000_000, nsec: 0 },
  mtime: { sec: 1_600_000_000, nsec: 123_456_789 },
  ...over,
});

describe('slave/meta-ops', () => {
  const a = useReadyAgent();
  const p = (rel: string) => join(a.root, rel);

  it('sets mode, owner (as root) and times to the nanosecond', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    expect((await a.client.call('metaOps', { ops: [meta(f, { mode: 0o102750 })] })).failures).to.deep.equal([]);
    const st = lstatSync(p('f'), { bigint: true });
    expect([Number(st.mode & 0o7777n), Number(st.uid), Number(st.gid)]).to.deep.equal([0o2750, 1001, 1002]);
    expect([st.atimeNs, st.mtimeNs]).to.deep.equal([1_500_000_000_000_000_000n, 1_600_000_000_123_456_789n]);
  });

  it('sets a directory’s and a symlink’s times to the nanosecond (Node’s utimes stops at the microsecond)', async () => {
    const d = newGfid();
    const s = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.symlink(s, ROOT_GFID, 'ln', 'nowhere')]);
    const times = {
      atime: { sec: 1_700_000_000, nsec: 999_999_999 },
      mtime: { sec: 1_600_000_000, nsec: 123_456_789 },
    };
    const r = await a.client.call('metaOps', { ops: [meta(d, { mode: 0o40755, ...times }), meta(s, times)] });
    expect(r.failures).to.deep.equal([]);
    for (const rel of ['d', 'ln']) {
      const st = lstatSync(p(rel), { bigint: true });
      expect([st.atimeNs, st.mtimeNs], rel).to.deep.equal([1_700_000_000_999_999_999n, 1_600_000_000_123_456_789n]);
    }
  });

  it('sets times before 1970 exactly (Node’s utimes turns a negative time into now)', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.mkdir(d, ROOT_GFID, 'd')]);
    const old = { atime: { sec: -1, nsec: 999_999_999 }, mtime: { sec: -86_400 * 365 * 30, nsec: 123_456_789 } };
    const r = await a.client.call('metaOps', { ops: [meta(f, old), meta(d, { mode: 0o40755, ...old })] });
    expect(r.failures).to.deep.equal([]);
    for (const rel of ['f', 'd']) {
      const st = lstatSync(p(rel), { bigint: true });
      expect([st.atimeNs, st.mtimeNs], rel).to.deep.equal([-1n, -946_079_999_876_543_211n]);
    }
  });

  it('sets a symlink’s own owner and times, never its target’s, and skips chmod', async () => {
    const outside = join(makeTemp(), 'target');
    writeFileSync(outside, 'x');
    const before = lstatSync(outside);
    const s = newGfid();
    await apply(a.client, [ops.symlink(s, ROOT_GFID, 'ln', outside)]);
    expect((await a.client.call('metaOps', { ops: [meta(s, { mode: 0o777 })] })).failures).to.deep.equal([]);
    const link = lstatSync(p('ln'));
    expect([link.uid, link.mtime.getTime()]).to.deep.equal([1001, 1_600_000_000_123]);
    const after = lstatSync(outside);
    expect([after.mode, after.uid, after.mtimeMs]).to.deep.equal([before.mode, before.uid, before.mtimeMs]);
  });

  it('sets the root’s times by ROOT_GFID, never its mode or owner, and fails an unknown gfid with GFID_UNKNOWN, going on', async () => {
    // The root's mode and owner are the slave operator's: a root made writable for others would
    // let a local user swap the agent's own .georep folder.
    const before = lstatSync(a.root, { bigint: true });
    const root = meta(ROOT_GFID, { mode: 0o40777, uid: 4321, gid: 4321 });
    const r = await a.client.call('metaOps', { ops: [meta(newGfid()), root] });
    expect(r.failures.map((f) => [f.index, f.code])).to.deep.equal([[0, 'GFID_UNKNOWN']]);
    const st = lstatSync(a.root, { bigint: true });
    expect([st.mode, st.uid, st.gid]).to.deep.equal([before.mode, before.uid, before.gid]);
    expect(st.mtimeNs).to.equal(1_600_000_000_123_456_789n);
  });
});
