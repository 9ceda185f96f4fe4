// PidLock (the session lock and the verify lock): a live owner is refused by name, a dead
// owner's lock is taken over, and release frees it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { GeorepError } from '../src/errors.js';
import { SessionLock } from '../src/master/session-lock.js';
import { VerifyLock } from '../src/verify/verify-lock.js';

describe('PidLock (session and verify locks)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-pidlock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second taker while the owner lives, naming its pid; release frees it', () => {
    const lock = SessionLock.acquire(dir);
    let err: unknown;
    try {
      SessionLock.acquire(dir);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(GeorepError);
    expect((err as GeorepError).code).to.equal('SESSION_BUSY');
    expect((err as GeorepError).message).to.include(`georep process ${process.pid}`);
    lock.release();
    SessionLock.acquire(dir).release();
  });

  it('takes over a lock whose owner is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid ?? 0;
    expect(dead).to.be.greaterThan(0);
    fs.writeFileSync(path.join(dir, 'verify.lock'), `${dead}\n`);
    const lock = VerifyLock.acquire(dir);
    expect(fs.readFileSync(path.join(dir, 'verify.lock'), 'utf8')).to.equal(`${process.pid}\n`);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'verify.lock'))).to.equal(false);
  });

  it('the session and verify locks are separate files: both can be held at once', () => {
    const a = SessionLock.acquire(dir);
    const b = VerifyLock.acquire(dir);
    a.release();
    b.release();
  });
});
