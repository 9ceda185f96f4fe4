// Fault file: a child's "stop for good" cause reaches the monitor with its code and message; a
// missing or foreign file reads as no fault, and the monitor's clear removes the last run's.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { clearFault, faultFile, readFault, writeFault } from '../../src/monitor/fault-file.js';

describe('monitor/fault-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-fault-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back what the child wrote', () => {
    writeFault(dir, { proc: 'worker', code: 'FOREIGN_MASTER', message: 'slave bound to another master' });
    expect(readFault(dir)).to.deep.equal({ code: 'FOREIGN_MASTER', message: 'slave bound to another master' });
    expect(JSON.parse(fs.readFileSync(faultFile(dir), 'utf8'))).to.have.property('proc', 'worker');
  });

  it('reads no file, and a file that is not a fault, as no fault', () => {
    expect(readFault(dir)).to.equal(undefined);
    fs.writeFileSync(faultFile(dir), 'not json');
    expect(readFault(dir)).to.equal(undefined);
    fs.writeFileSync(faultFile(dir), '{"code":"USAGE"}');
    expect(readFault(dir)).to.equal(undefined);
  });

  it('clears the last run fault, and a clear with none is no error', () => {
    writeFault(dir, { proc: 'recorder', code: 'WATCH_LIMIT', message: 'out of inotify watches' });
    clearFault(dir);
    expect(readFault(dir)).to.equal(undefined);
    clearFault(dir);
  });
});
