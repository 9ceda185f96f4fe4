// Pid files: atomic 0600 writes, and a pid whose process is gone read back as stale.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isAlive, readLivePid, readPidFile, removePidFile, writePidFile } from '../../src/monitor/index.js';
import { codeOf } from '../support/error-code.js';

const OWNER_ONLY = 0o600;
const PERMISSION_BITS = 0o777;
const INIT_PID = 1;

describe('monitor/pid-file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-pid-'));
    file = path.join(dir, 'monitor.pid');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes this process by default, mode 0600, leaving no temp file', () => {
    writePidFile(file);
    expect(fs.readFileSync(file, 'utf8')).to.equal(`${process.pid}\n`);
    expect(fs.statSync(file).mode & PERMISSION_BITS).to.equal(OWNER_ONLY);
    expect(fs.readdirSync(dir)).to.deep.equal(['monitor.pid']);
    expect(readPidFile(file)).to.equal(process.pid);
    expect(readLivePid(file)).to.equal(process.pid);
  });

  it('replaces an existing file', () => {
    writePidFile(file, 111);
    writePidFile(file, 222);
    expect(readPidFile(file)).to.equal(222);
  });

  it('reads a missing file as no pid', () => {
    expect(readPidFile(file)).to.equal(undefined);
    expect(readLivePid(file)).to.equal(undefined);
  });

  it('reports the pid of an exited process as stale', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(isAlive(dead)).to.equal(false);
    writePidFile(file, dead);
    expect(readPidFile(file)).to.equal(dead);
    expect(readLivePid(file)).to.equal(undefined);
  });

  it('counts a process it may not signal (EPERM) as alive', () => {
    writePidFile(file, INIT_PID); // as root kill(1, 0) succeeds; as a user it fails with EPERM
    expect(readLivePid(file)).to.equal(INIT_PID);
  });

  it('refuses content that is not a pid, since 0 or -n would mean a process group', () => {
    for (const text of ['', 'abc\n', '0\n', '-1\n', '12x\n', '1.5\n', '99999999\n']) {
      fs.writeFileSync(file, text);
      expect(
        codeOf(() => readLivePid(file)),
        JSON.stringify(text),
      ).to.equal('STATE_CORRUPT');
    }
    expect(() => writePidFile(file, 0)).to.throw();
    expect(() => isAlive(-1)).to.throw();
  });

  it('removes the file, and only while it names the given pid', () => {
    writePidFile(file, 333);
    removePidFile(file, 444);
    expect(readPidFile(file)).to.equal(333);
    removePidFile(file, 333);
    expect(fs.existsSync(file)).to.equal(false);
    removePidFile(file); // already gone: nothing to do
    writePidFile(file, 555);
    removePidFile(file);
    expect(fs.existsSync(file)).to.equal(false);
  });

  it('names the file in IO_ERROR when its folder is missing', () => {
    expect(codeOf(() => writePidFile(path.join(dir, 'nope', 'x.pid')))).to.equal('IO_ERROR');
  });
});
