// Paths kept in the long-lived directory caches own their memory: a pooled view would pin a
// shared 8 KiB slab per path (tens of MB over 5,000 directories, see unpooled.ts).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { unpooled } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SlaveIndex } from '../../src/slave/slave-index.js';

const owns = (b: Buffer): boolean => b.byteOffset === 0 && b.buffer.byteLength === b.length;

describe('unpooled', () => {
  it('copies a pooled view into memory of its own, with the same bytes', () => {
    const pooled = Buffer.from('dir/sub');
    expect(owns(pooled)).to.equal(false); // Node's pool: what the caches used to keep
    const own = unpooled(pooled);
    expect(owns(own)).to.equal(true);
    expect(own.equals(pooled)).to.equal(true);
    const already = Buffer.allocUnsafeSlow(3);
    expect(unpooled(already)).to.equal(already);
  });

  it("the master index's directory path cache keeps unpooled paths", () => {
    const idx = SqliteGfidIndex.open(':memory:');
    try {
      const a = idx.create('dir', 1n, { pargfid: ROOT_GFID, name: Buffer.from('a') });
      const b = idx.create('dir', 2n, { pargfid: a, name: Buffer.from('b') });
      const c = idx.create('dir', 3n, { pargfid: b, name: Buffer.from('c') });
      expect(idx.pathOf(c)?.toString()).to.equal('a/b/c');
      const cache = (idx as unknown as { dirPaths: { cache: Map<Gfid, Buffer> } }).dirPaths.cache;
      expect(cache.size).to.be.greaterThan(1);
      for (const p of cache.values()) expect(owns(p), p.toString()).to.equal(true);
    } finally {
      idx.close();
    }
  });

  it("the slave agent's directory path cache keeps unpooled paths", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-unpooled-'));
    const idx = SlaveIndex.open(path.join(tmp, 'index.db'));
    try {
      const gfid = (n: number): Gfid => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` as Gfid;
      idx.add(gfid(1), 'dir', { pargfid: ROOT_GFID, name: Buffer.from('a') });
      idx.add(gfid(2), 'dir', { pargfid: gfid(1), name: Buffer.from('b') });
      idx.add(gfid(3), 'dir', { pargfid: gfid(2), name: Buffer.from('c') });
      expect(idx.dirPath(gfid(3))?.toString()).to.equal('a/b/c');
      const cache = (idx as unknown as { dirPaths: Map<string, Buffer> }).dirPaths;
      expect(cache.size).to.equal(3);
      for (const p of cache.values()) expect(owns(p), p.toString()).to.equal(true);
    } finally {
      idx.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
