// MonitorStatus: the one definition of Faulty, driven with the supervisor's events (no processes)
// on a real temp session folder and a manual clock. Each test reads monitor.json back the way
// georep status does (readMonitorState) and checks the worker_status log events.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { MonitorStatus, readMonitorState, writeExitCause } from '../../src/monitor/index.js';
import type { ChildExit, MonitorState } from '../../src/monitor/index.js';
import { GeorepError } from '../../src/errors.js';
import { ManualClock } from '../support/manual-clock.js';

const BACKOFF_MS = 1000;

describe('monitor/monitor-state', () => {
  let dir: string;
  let clock: ManualClock;
  let events: Record<string, unknown>[];
  let nextPid: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-mstate-'));
    clock = new ManualClock();
    events = [];
    nextPid = 1000;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function monitor(faultyAfterExits = 3): MonitorStatus {
    const sink = new Writable({
      objectMode: true,
      write(info: Record<string, unknown>, _enc, done) {
        if (info['event'] === 'worker_status') events.push(info);
        done();
      },
    });
    const log = winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
    const m = new MonitorStatus(
      { faultyAfterExits, worker: 'worker', recorder: 'recorder' },
      { file: path.join(dir, 'monitor.json'), sessionDir: dir, clock, log, pid: 42 },
    );
    m.begin();
    m.started('recorder', nextPid++);
    return m;
  }

  const onDisk = (): MonitorState | undefined => readMonitorState(path.join(dir, 'monitor.json'));
  const statuses = (): unknown[] => events.map((e) => e['status']);

  /** The worker starts, (optionally) leaves its error as the real one would, and exits with code 4. */
  function workerDies(m: MonitorStatus, error?: Error, exit: Partial<ChildExit> = {}): void {
    const pid = nextPid++;
    m.started('worker', pid);
    if (error !== undefined) writeExitCause(dir, 'worker', error, clock.nowMs(), pid);
    clock.advance(10);
    m.exited({ name: 'worker', pid, code: 4, signal: null, ...exit }, BACKOFF_MS);
  }

  it('is Faulty after faulty-after-exits worker exits in a row, with the last cause and the count', () => {
    const m = monitor(3);
    expect(onDisk()?.state).to.equal('Active');
    workerDies(m, new Error('first'));
    workerDies(m, new Error('second'));
    expect(onDisk()).to.include({ state: 'Active', restarts: 2 });
    expect(onDisk()?.cause).to.equal(undefined);
    workerDies(m, new GeorepError('AGENT_DIED', 'slave agent exited with code 1:\n  line one\n  line two'));
    expect(onDisk()).to.include({
      state: 'Faulty',
      restarts: 3,
      cause: 'slave agent exited with code 1: line one line two', // one line
    });
    expect(statuses()).to.deep.equal(['Active', 'Faulty']);
    expect(events[1]).to.include({ restarts: 3 });

    // Still failing: the count and the cause move on, the state change is logged once.
    m.started('worker', nextPid++);
    expect(onDisk()?.state, 'a restart alone is no progress').to.equal('Faulty');
    workerDies(m, new Error('fourth'));
    expect(onDisk()).to.include({ state: 'Faulty', restarts: 4, cause: 'fourth' });
    expect(statuses()).to.deep.equal(['Active', 'Faulty']);
  });

  it('is Faulty when the recorder exits faulty-after-exits times before it records; a worker turn does not end that, its recording does', () => {
    // A recorder in a restart loop (a master it cannot watch) once left status Active.
    const m = monitor(2);
    const recorderDies = (message: string): void => {
      const pid = nextPid++;
      m.started('recorder', pid);
      writeExitCause(dir, 'recorder', new GeorepError('WATCH_FAILED', message), clock.nowMs(), pid);
      m.exited({ name: 'recorder', pid, code: 4, signal: null }, BACKOFF_MS);
    };
    recorderDies('cannot watch /m (EACCES)');
    expect(onDisk()).to.include({ state: 'Active', recorderRestarts: 1 });
    recorderDies('cannot watch /m (EACCES)');
    expect(onDisk()?.state).to.equal('Faulty');
    expect(onDisk()?.cause).to.match(
      /^the recorder \(it watches the master\) exited 2 times in a row before it recorded: cannot watch \/m \(EACCES\)/,
    );
    m.started('worker', nextPid++);
    m.message('worker', { kind: 'turn' });
    expect(onDisk()?.state, "the worker's turn").to.equal('Faulty');
    // The worker's own fault on top (its cause shown), then its turn: the recorder is still down.
    workerDies(m, new Error('w1'));
    workerDies(m, new Error('w2'));
    expect(onDisk()).to.include({ state: 'Faulty', cause: 'w2' });
    m.started('worker', nextPid++);
    m.message('worker', { kind: 'turn' });
    expect(onDisk()?.state, "the worker's turn, the recorder still down").to.equal('Faulty');
    m.started('recorder', nextPid++);
    m.message('recorder', { kind: 'recording' });
    expect(onDisk()?.state).to.equal('Active');
    expect(onDisk()?.cause).to.equal(undefined);
    expect(statuses()).to.deep.equal(['Active', 'Faulty', 'Active']);
  });

  it('is Active again at the next completed turn, and counts from zero after it', () => {
    const m = monitor(2);
    workerDies(m, new Error('a'));
    workerDies(m, new Error('b'));
    expect(onDisk()?.state).to.equal('Faulty');
    m.started('worker', nextPid++);
    m.message('worker', { kind: 'turn' });
    const st = onDisk();
    expect(st).to.include({ state: 'Active', restarts: 0 });
    expect(st?.cause).to.equal(undefined);
    expect(statuses()).to.deep.equal(['Active', 'Faulty', 'Active']);
    workerDies(m, new Error('c'));
    expect(onDisk()).to.include({ state: 'Active', restarts: 1 });
  });

  it('is Faulty at once while the worker waits for an unreachable slave host, Active at its next turn', () => {
    const m = monitor(3);
    m.started('worker', nextPid++);
    const cause = 'cannot reach the slave host: Network is unreachable; probing 10.1.2.3:22 until it answers';
    m.message('worker', { kind: 'unreachable', cause });
    m.message('worker', { kind: 'unreachable', cause }); // said again: logged once
    expect(onDisk()).to.include({ state: 'Faulty', cause, restarts: 0 });
    expect(statuses()).to.deep.equal(['Active', 'Faulty']);
    m.message('recorder', { kind: 'unreachable', cause: 'not the worker' });
    expect(onDisk()?.cause).to.equal(cause);
    m.message('worker', { kind: 'turn' });
    expect(onDisk()?.state).to.equal('Active');
    expect(onDisk()?.cause).to.equal(undefined);
    expect(statuses()).to.deep.equal(['Active', 'Faulty', 'Active']);
  });

  it('counts only exits in a row: a turn in between starts the count again', () => {
    const m = monitor(3);
    workerDies(m);
    workerDies(m);
    m.started('worker', nextPid++);
    m.message('worker', { kind: 'turn' });
    expect(onDisk()?.restarts).to.equal(0);
    workerDies(m);
    workerDies(m);
    expect(onDisk()).to.include({ state: 'Active', restarts: 2 });
    expect(statuses()).to.deep.equal(['Active']);
  });

  it('says how the worker ended when it left no cause of its own (or one from another pid)', () => {
    const m = monitor(2);
    workerDies(m, undefined, { code: null, signal: 'SIGKILL' });
    // A file left by an earlier worker says nothing about this exit.
    fs.writeFileSync(path.join(dir, 'worker-exit.json'), JSON.stringify({ pid: 1, code: null, message: 'old' }));
    workerDies(m, undefined, { code: 3 });
    expect(onDisk()).to.include({ state: 'Faulty', restarts: 2, cause: 'worker exited with code 3' });
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
      lastExit: Record<string, unknown>;
    };
    expect(raw.lastExit).to.deep.equal({
      name: 'worker',
      code: 3,
      signal: null,
      restartInMs: BACKOFF_MS,
      cause: 'worker exited with code 3',
    });
  });

  it('does not count exits that are not restarted, or turns of other children', () => {
    const m = monitor(1);
    clock.advance(5);
    m.exited({ name: 'recorder', pid: 1000, code: null, signal: 'SIGTERM' }, undefined); // stopping
    m.started('worker', 5000);
    m.exited({ name: 'worker', pid: 5000, code: null, signal: 'SIGTERM' }, undefined); // stopping
    m.message('recorder', { kind: 'turn' });
    expect(onDisk()).to.include({ state: 'Active', restarts: 0 });
    workerDies(m);
    expect(onDisk()).to.include({ state: 'Faulty', restarts: 1 });
    m.message('recorder', { kind: 'turn' });
    expect(onDisk()?.state).to.equal('Faulty');
  });

  it('keeps the permanent stop and the clean stop as they were', () => {
    const m = monitor(3);
    m.stoppedForGood('worker stopped for good: slave root is bound to another master');
    expect(onDisk()).to.include({
      state: 'Faulty',
      cause: 'worker stopped for good: slave root is bound to another master',
    });
    expect(statuses()).to.deep.equal(['Active', 'Faulty']);
    const other = monitor(3);
    other.stopped();
    expect(onDisk()?.state).to.equal('Stopped');
  });

  it('refuses a threshold below one', () => {
    expect(() => monitor(0)).to.throw(RangeError);
  });
});
