// DirPaths: a gfid's path found by walking its names up to the root, with directory paths
// cached until the owner clears them; a missing link is "no path", a cycle is STATE_CORRUPT.

import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { DirPaths } from '../../src/store/dir-paths.js';
import type { ParentLink } from '../../src/store/dir-paths.js';
import { codeOf } from '../support/error-code.js';

const g = (n: number): Gfid => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}` as Gfid;

/** A names table as the index keeps it: gfid → its first (parent, name, type). */
function table(): { links: Map<Gfid, ParentLink>; asked: Gfid[]; paths: DirPaths } {
  const links = new Map<Gfid, ParentLink>([
    [g(2), { pargfid: ROOT_GFID, name: Buffer.from('a'), type: 'dir' }],
    [g(3), { pargfid: g(2), name: Buffer.from('b'), type: 'dir' }],
    [g(4), { pargfid: g(3), name: Buffer.from([0x66, 0xff]), type: 'file' }],
  ]);
  const asked: Gfid[] = [];
  const paths = new DirPaths((gfid) => {
    asked.push(gfid);
    return links.get(gfid);
  });
  return { links, asked, paths };
}

describe('store/DirPaths', () => {
  it('resolves a path by its names up to the root, bytes as they are', () => {
    const { paths } = table();
    expect(paths.resolve(ROOT_GFID)).to.deep.equal(Buffer.alloc(0));
    expect(paths.resolve(g(3))?.toString()).to.equal('a/b');
    expect(paths.resolve(g(4))).to.deep.equal(Buffer.concat([Buffer.from('a/b/'), Buffer.from([0x66, 0xff])]));
    expect(paths.resolve(g(9))).to.equal(undefined);
  });

  it('caches directory paths until cleared, and hands out copies', () => {
    const { links, asked, paths } = table();
    paths.resolve(g(4));
    asked.length = 0;
    const p = paths.resolve(g(4));
    expect(asked).to.deep.equal([g(4)]); // b's path came from the cache
    expect(p?.toString('latin1')).to.equal('a/b/f\u00ff');
    paths.resolve(g(3))?.fill(0); // the caller may write into what it got: a folder's path is cached
    expect(paths.resolve(g(3))?.toString()).to.equal('a/b');
    links.set(g(3), { pargfid: ROOT_GFID, name: Buffer.from('moved'), type: 'dir' });
    expect(paths.resolve(g(4))?.toString('latin1')).to.equal('a/b/f\u00ff'); // stale until cleared
    paths.clear();
    expect(paths.resolve(g(4))?.toString('latin1')).to.equal('moved/f\u00ff');
  });

  it('tells whether a folder lies within another', () => {
    const { paths } = table();
    expect([paths.isWithin(g(3), g(2)), paths.isWithin(g(3), g(3)), paths.isWithin(g(2), g(3))]).to.deep.equal([
      true,
      true,
      false,
    ]);
    expect(paths.isWithin(g(9), g(2))).to.equal(false);
  });

  it('reports parents that form a cycle as STATE_CORRUPT instead of walking forever', () => {
    const { links, paths } = table();
    links.set(g(2), { pargfid: g(3), name: Buffer.from('a'), type: 'dir' });
    expect(codeOf(() => paths.resolve(g(4)))).to.equal('STATE_CORRUPT');
    expect(codeOf(() => paths.isWithin(g(3), g(7)))).to.equal('STATE_CORRUPT');
  });
});
