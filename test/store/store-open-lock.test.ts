// The open lock the recorder and worker take around opening (and quarantining) the shared
// session index: one at a time, a lock left by a dead process taken over, a live owner waited for.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { withOpenLock } from '../../src/store/store-open-lock.js';
import { codeOf } from '../support/error-code.js';

describe('withOpenLock', () => {
  let dir: string;
  let p: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-open-lock-'));
    p = path.join(dir, 'index.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds <path>.open-lock with its pid while the function runs, and removes it after, also on a throw', () => {
    const seen = withOpenLock(p, () => fs.readFileSync(`${p}.open-lock`, 'utf8'));
    expect(seen.trim()).to.equal(String(process.pid));
    expect(fs.existsSync(`${p}.open-lock`)).to.equal(false);
    expect(() =>
      withOpenLock(p, () => {
        throw new Error('boom');
      }),
    ).to.throw('boom');
    expect(fs.existsSync(`${p}.open-lock`)).to.equal(false);
  });

  it('takes over a lock whose owner is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(`${p}.open-lock`, `${gone}\n`);
    expect(withOpenLock(p, () => 'ran')).to.equal('ran');
  });

  it('waits for a live owner, then gives up with SESSION_BUSY naming the lock', () => {
    fs.writeFileSync(`${p}.open-lock`, `${process.ppid}\n`); // alive for the whole test
    const started = Date.now();
    expect(codeOf(() => withOpenLock(p, () => 'ran', 200))).to.equal('SESSION_BUSY');
    expect(Date.now() - started).to.be.at.least(200);
    expect(fs.existsSync(`${p}.open-lock`), "the owner's lock is left alone").to.equal(true);
  });
});
