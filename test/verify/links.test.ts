// LinkGroups: a hard link broken or made on the slave is named once, on the later name; groups
// close when every name was seen, so memory holds only the open ones; state survives a resume.

import { expect } from 'chai';
import { LinkGroups } from '../../src/verify/links.js';

const at = (ino: number, nlink: number) => ({ ino: BigInt(ino), nlink });

describe('verify/links', () => {
  it('finds a link broken on the slave at the later name only', () => {
    const g = new LinkGroups();
    expect(g.check(at(10, 3), at(20, 2))).to.equal(undefined); // hard/one
    expect(g.check(at(10, 3), at(21, 1))?.verdict).to.equal('links'); // hard/two, now a copy
    expect(g.check(at(10, 3), at(20, 2))).to.equal(undefined); // nested/a/three
    expect(g.size).to.equal(0);
  });

  it('finds two master files joined into one inode on the slave', () => {
    const g = new LinkGroups();
    expect(g.check(at(10, 1), at(20, 2))).to.equal(undefined);
    expect(g.check(at(11, 1), at(20, 2))?.verdict).to.equal('links');
  });

  it('closes a group once all its names were seen; keeps one whose other names are outside', () => {
    const g = new LinkGroups();
    g.check(at(10, 2), at(20, 2));
    g.check(at(10, 2), at(20, 2));
    expect(g.size).to.equal(0);
    g.check(at(11, 2), at(21, 1)); // the master's other name lies outside the tree
    expect(g.size).to.equal(1);
  });

  it('resumes from its state with the same judgement', () => {
    const g = new LinkGroups();
    g.check(at(10, 2), at(20, 2));
    const resumed = new LinkGroups(JSON.parse(JSON.stringify(g.state())) as ReturnType<LinkGroups['state']>);
    expect(resumed.check(at(10, 2), at(22, 1))?.verdict).to.equal('links');
  });
});
