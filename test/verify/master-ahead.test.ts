// MasterAhead: the master's listings read ahead in the walk's visit order (preorder, children by
// raw bytes), at most `depth` waiting, the slave asked for each directory the walk compares the
// moment its master listing is read.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { DirPath } from '../../src/changelog/index.js';
import { MasterAhead } from '../../src/verify/master-ahead.js';

describe('verify/master-ahead', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'georep-ahead-'));
    for (const d of ['b/y', 'b/x/deep', 'a', '#c', '..d', 'skip/me']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'b/file'), 'not a directory');
  });
  afterEach(() => rmSync(root, { recursive: true }));

  const text = (rel: Buffer): string => rel.toString();

  it('reads in preorder with children in byte order, asks the slave for each visited one, and holds at most depth', () => {
    const asked: string[] = [];
    const ahead = new MasterAhead(Buffer.from(root), 3, {
      visits: (comps: DirPath) => !(comps.length === 1 && comps[0]?.toString() === '#c'),
      follows: (comps: DirPath, visit: boolean) => visit || comps[0]?.toString() === '#c',
      askSlave: (rel) => asked.push(text(rel)),
    });
    ahead.fill();
    expect(asked).to.deep.equal(['', '..d']); // '#c' is passed through: read, not asked of the slave
    const order: string[] = [];
    const take = (rel: string): string[] => {
      order.push(rel);
      const entries = ahead.take(Buffer.from(rel)) ?? [];
      ahead.fill();
      return entries.map((e) => e.name.toString());
    };
    expect(take('')).to.deep.equal(['#c', '..d', 'a', 'b', 'skip']);
    for (const rel of ['#c', '..d', 'a', 'b', 'b/x', 'b/x/deep', 'b/y', 'skip', 'skip/me']) take(rel);
    expect(asked).to.deep.equal(['', '..d', 'a', 'b', 'b/x', 'b/x/deep', 'b/y', 'skip', 'skip/me']);
  });

  it('stops reading at depth listings until the walk takes one', () => {
    let asks = 0;
    const ahead = new MasterAhead(Buffer.from(root), 2, {
      visits: () => true,
      follows: () => true,
      askSlave: () => asks++,
    });
    ahead.fill();
    ahead.fill();
    expect(asks).to.equal(2);
    ahead.take(Buffer.alloc(0));
    ahead.fill();
    expect(asks).to.equal(3);
  });

  it('reads now what it did not read ahead, and says undefined for a directory that is gone', () => {
    const ahead = new MasterAhead(Buffer.from(root), 1, {
      visits: () => true,
      follows: () => true,
      askSlave: () => {},
    });
    expect(ahead.take(Buffer.from('b'))?.map((e) => e.name.toString())).to.deep.equal(['file', 'x', 'y']);
    expect(ahead.take(Buffer.from('absent'))).to.equal(undefined);
    ahead.fill(); // the root, read ahead
    rmSync(join(root, 'a'), { recursive: true });
    expect(ahead.take(Buffer.alloc(0))?.map((e) => e.name.toString())).to.include('a'); // as it was when read
    expect(ahead.take(Buffer.from('a'))).to.equal(undefined);
  });
});
