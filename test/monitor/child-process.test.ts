// A daemon child's frame: a body that returns is done; an error no restart can fix becomes
// 'permanent' with the fault file and the exit cause the monitor reads; any other error is
// recorded and thrown; an error after a stop is no failure and leaves no cause.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { GeorepError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { runDaemonChild } from '../../src/monitor/child-process.js';
import type { DaemonChildOptions } from '../../src/monitor/child-process.js';
import { exitCauseFile } from '../../src/monitor/exit-cause.js';
import { faultFile, readFault } from '../../src/monitor/fault-file.js';
import { codeOfAsync } from '../support/error-code.js';
import { ManualClock } from '../support/manual-clock.js';

describe('monitor/child-process', () => {
  let dir: string;
  let stopper: AbortController;
  let released: number;
  const opts = (): DaemonChildOptions => ({
    role: 'worker',
    sessionDir: dir,
    log: createLogger({ level: 'error', silent: true }),
    clock: new ManualClock(),
    trapSignals: () => ({ signal: stopper.signal, release: () => void released++ }),
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-child-'));
    stopper = new AbortController();
    released = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is done when the body returns, and releases the signal trap', async () => {
    expect(await runDaemonChild(opts(), () => Promise.resolve())).to.equal('done');
    expect(released).to.equal(1);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('turns an error no restart can fix into a fault and an exit cause', async () => {
    const outcome = await runDaemonChild(opts(), () =>
      Promise.reject(new GeorepError('FOREIGN_MASTER', 'slave bound to another master')),
    );
    expect(outcome).to.equal('permanent');
    expect(readFault(dir)).to.deep.equal({ code: 'FOREIGN_MASTER', message: 'slave bound to another master' });
    expect(JSON.parse(fs.readFileSync(exitCauseFile(dir, 'worker'), 'utf8'))).to.include({ code: 'FOREIGN_MASTER' });
    expect(released).to.equal(1);
  });

  it('records and throws any other error, with no fault', async () => {
    const code = await codeOfAsync(
      runDaemonChild(opts(), () => Promise.reject(new GeorepError('RSYNC_FAILED', 'rsync exited 23'))),
    );
    expect(code).to.equal('RSYNC_FAILED');
    expect(fs.existsSync(faultFile(dir))).to.equal(false);
    expect(JSON.parse(fs.readFileSync(exitCauseFile(dir, 'worker'), 'utf8'))).to.include({ code: 'RSYNC_FAILED' });
  });

  it('records no cause for an error after a stop', async () => {
    const code = await codeOfAsync(
      runDaemonChild(opts(), (stop) => {
        stopper.abort();
        return Promise.reject(stop.aborted ? new GeorepError('ABORTED', 'stopped') : new Error('not stopped'));
      }),
    );
    expect(code).to.equal('ABORTED');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
