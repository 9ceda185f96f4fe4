// Session roots on real temp trees: the master by its real path (and refused when missing or
// not a folder), a local slave by the real path of its existing part, and no root inside another.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { checkDisjoint, realpathOfExistingPart, resolveMasterRoot, resolveSlave } from '../../src/cli/roots.js';
import { codeOf } from '../support/error-code.js';

describe('cli/roots', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-roots-')));
    fs.mkdirSync(path.join(tmp, 'real'));
    fs.symlinkSync('real', path.join(tmp, 'link'));
    fs.writeFileSync(path.join(tmp, 'file'), 'x');
  });
  const mounts: string[] = [];
  afterEach(() => {
    for (const m of mounts.splice(0)) execFileSync('umount', [m]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('takes the master by its real path, and refuses one missing or not a folder', () => {
    expect(resolveMasterRoot(path.join(tmp, 'link'))).to.equal(path.join(tmp, 'real'));
    expect(codeOf(() => resolveMasterRoot(path.join(tmp, 'nothing')))).to.equal('MASTER_MISSING');
    expect(codeOf(() => resolveMasterRoot(path.join(tmp, 'file')))).to.equal('MASTER_MISSING');
    expect(codeOf(() => resolveMasterRoot(path.join(tmp, 'file', 'under')))).to.equal('MASTER_MISSING');
  });

  it('names a local slave by the real path of its existing part, the rest as given', () => {
    expect(realpathOfExistingPart(path.join(tmp, 'link', 'new', 'deeper'))).to.equal(
      path.join(tmp, 'real', 'new', 'deeper'),
    );
    expect(realpathOfExistingPart(path.join(tmp, 'link'))).to.equal(path.join(tmp, 'real'));
    const { slave, name } = resolveSlave(path.join(tmp, 'link', 'slave'));
    expect(slave).to.deep.equal({ kind: 'local', root: path.join(tmp, 'real', 'slave') });
    expect(name).to.equal(path.join(tmp, 'real', 'slave'));
  });

  it('refuses roots inside one another, and not mere name prefixes', () => {
    expect(codeOf(() => checkDisjoint({ master: '/srv/a', slave: '/srv/a/b' }))).to.equal('USAGE');
    expect(codeOf(() => checkDisjoint({ master: '/srv/a/b', slave: '/srv/a' }))).to.equal('USAGE');
    expect(codeOf(() => checkDisjoint({ master: '/srv/a', slave: '/srv/a' }))).to.equal('USAGE');
    expect(codeOf(() => checkDisjoint({ master: '/srv/a', slave: '/srv/b', workdir: '/srv/a/.w' }))).to.equal('USAGE');
    expect(codeOf(() => checkDisjoint({ master: '/srv/a', slave: '/srv/ab', workdir: '/srv/a-w' }))).to.equal(
      undefined,
    );
  });

  it('refuses a slave that reaches the master by a bind mount (the same directory by another path)', () => {
    // A one-shot copied such a master into itself and exited 0; a live session grew it without end.
    fs.mkdirSync(path.join(tmp, 'master', 'sub'), { recursive: true });
    const view = path.join(tmp, 'view');
    fs.mkdirSync(view);
    if (process.getuid?.() === 0) {
      execFileSync('mount', ['--bind', path.join(tmp, 'master', 'sub'), view]);
      mounts.push(view);
    } else (fs.rmdirSync(view), fs.symlinkSync(path.join(tmp, 'master', 'sub'), view)); // only root can bind
    const master = path.join(tmp, 'master');
    for (const slave of [view, path.join(view, 'slave')]) {
      expect(
        codeOf(() => checkDisjoint({ master, slave })),
        slave,
      ).to.equal('USAGE');
    }
    expect(codeOf(() => checkDisjoint({ master, slave: path.join(tmp, 'real') }))).to.equal(undefined);
  });
});
