// hashFile on real files: SHA-256 of a regular file over several reads of the shared buffer;
// a symlink, a FIFO (without blocking) or a folder in the file's place is NOT_FILE; a missing
// file is its errno.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { hashFile } from '../../src/verify/hash-file.js';

describe('verify/hashFile', () => {
  let tmp: string;
  const at = (name: string): Buffer => Buffer.from(path.join(tmp, name));
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-hash-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('hashes a regular file, across more than one buffer of it, and an empty one', () => {
    const data = Buffer.alloc((1 << 20) + 12345, 7);
    data.write('head', 0);
    data.write('tail', data.length - 4);
    fs.writeFileSync(at('big'), data);
    fs.writeFileSync(at('empty'), '');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(hashFile(at('big'))).to.deep.equal({ sha256: sha(data) });
    expect(hashFile(at('empty'))).to.deep.equal({ sha256: sha(Buffer.alloc(0)) });
  });

  it('says NOT_FILE for a symlink, a FIFO and a folder, and the errno for a missing file', () => {
    fs.writeFileSync(at('target'), 'x');
    fs.symlinkSync('target', at('link'));
    execFileSync('mkfifo', [path.join(tmp, 'fifo')]);
    fs.mkdirSync(at('dir'));
    expect(['link', 'fifo', 'dir', 'missing'].map((n) => hashFile(at(n)))).to.deep.equal([
      { error: 'NOT_FILE' },
      { error: 'NOT_FILE' },
      { error: 'NOT_FILE' },
      { error: 'ENOENT' },
    ]);
  });
});
