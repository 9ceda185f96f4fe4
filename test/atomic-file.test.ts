// writeFileAtomic: the new content or the old, never a mix; a failure is IO_ERROR naming the
// file (exit 1), not a bare system error (which the CLI reports as an internal error, exit 4).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeFileAtomic, writeFileReplace } from '../src/atomic-file.js';
import { EXIT, exitCodeFor } from '../src/cli/exit-codes.js';
import { thrown } from './support/error-code.js';

describe('atomic-file', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-atomic-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [name, write] of [
    ['writeFileAtomic', writeFileAtomic],
    ['writeFileReplace', writeFileReplace],
  ] as const) {
    it(`${name}: replaces the content, with the mode asked for`, () => {
      const file = path.join(tmp, 'f.json');
      write(file, 'old');
      write(file, Buffer.from('new'), 0o640);
      expect(fs.readFileSync(file, 'utf8')).to.equal('new');
      expect(fs.readdirSync(tmp)).to.deep.equal(['f.json']);
    });

    it(`${name}: fails with IO_ERROR naming the file, errno kept`, () => {
      const file = path.join(tmp, 'gone', 'f.json');
      const e = thrown(() => write(file, 'x'));
      expect(e.code).to.equal('IO_ERROR');
      expect(e.path).to.equal(file);
      expect(e.errno).to.equal('ENOENT');
      expect(exitCodeFor(e.code)).to.equal(EXIT.syncFailed);
    });
  }
});
