// Confiner: directories walked from the root's descriptor, with openat2 in one call or, where the
// kernel lacks it, one openat per component; both refuse a symlink at any component and close
// every descriptor when their scope ends.

import { expect } from 'chai';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Confiner } from '../../src/slave/confine.js';
import { loadAtFs } from '../../src/slave/fs-at.js';
import type { AtFs } from '../../src/slave/fs-at.js';
import { cleanupTemps, makeTemp } from './harness.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};
const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('slave/confiner', () => {
  let fs: AtFs;
  before(() => {
    fs = loadAtFs();
  });
  afterEach(cleanupTemps);

  for (const openat2 of [true, false]) {
    describe(openat2 ? 'with openat2' : 'walking component by component (kernels before 5.6)', () => {
      let root: string;
      let confine: Confiner;
      beforeEach(() => {
        root = makeTemp();
        mkdirSync(join(root, 'a/b/c'), { recursive: true });
        writeFileSync(join(root, 'a/file'), 'x');
        symlinkSync(makeTemp(), join(root, 'a/ln'));
        const rootFd = fs.open(fs.c.AT_FDCWD, Buffer.from(root), fs.c.O_PATH | fs.c.O_DIRECTORY);
        confine = new Confiner(root, fs, rootFd, { openat2 });
      });
      afterEach(() => confine.close());

      it('opens a directory and acts in it; closes every descriptor at the end of the scope', () => {
        const before = openFds();
        confine.scoped(() => {
          const fd = confine.dir(Buffer.from('a/b/c'));
          expect(confine.dir(Buffer.from('a/b/c'))).to.equal(fd);
          fs.mkdir(fd, Buffer.from('made'), 0o755);
          expect(openFds()).to.be.above(before);
        });
        expect(openFds()).to.equal(before);
        expect(readdirSync(join(root, 'a/b/c'))).to.deep.equal(['made']);
      });

      it('refuses a symlink or a file as a directory (PATH_ESCAPES_ROOT, naming it); a missing one is ENOENT', () => {
        const err = (rel: string): unknown => {
          try {
            confine.scoped(() => confine.dir(Buffer.from(rel)));
          } catch (e) {
            return e;
          }
          return undefined;
        };
        expect(err('a/ln/x')).to.include({ code: 'PATH_ESCAPES_ROOT', path: 'a/ln' });
        expect(err('a/ln')).to.include({ code: 'PATH_ESCAPES_ROOT', path: 'a/ln' });
        expect(err('a/file/x')).to.include({ code: 'PATH_ESCAPES_ROOT', path: 'a/file' });
        expect(err('a/missing/x')).to.include({ code: 'ENOENT' });
      });

      it('refuses to open a directory outside a scope (its descriptor would never be closed)', () => {
        expect(() => confine.dir(Buffer.from('a'))).to.throw(Error);
        expect(codeOf(() => confine.dir(Buffer.from('a')))).to.equal(undefined); // a bug, not a slave condition
      });
    });
  }
});
