// CheckpointTracker: completion once stime reaches the target with nothing left to retry,
// recorded once with its time; a new target forgets an old completion.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { CheckpointTracker, checkpointTargetMs, readCheckpointState } from '../../src/master/checkpoint.js';
import { ManualClock } from '../support/manual-clock.js';

describe('CheckpointTracker', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-cp-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('completes once, only when clean and stime has reached the target, and resets for a new target', () => {
    const clock = new ManualClock(50_000);
    let target: number | undefined = 10_000;
    const file = path.join(dir, 'checkpoint.json');
    const t = new CheckpointTracker(file, () => target, clock, silentLogger());
    expect(t.update(9_999, true)?.completedMs).to.equal(null); // stime short of it
    expect(t.update(12_000, false)?.completedMs).to.equal(null); // something still to retry
    expect(t.update(12_000, true)?.completedMs).to.equal(50_000);
    clock.advance(5_000);
    expect(t.update(13_000, true)?.completedMs).to.equal(50_000); // recorded once
    expect(readCheckpointState(file)).to.deep.equal({ targetMs: 10_000, completedMs: 50_000 });
    target = 20_000; // a new checkpoint: the old completion is stale
    expect(t.update(13_000, true)?.completedMs).to.equal(null);
    expect(readCheckpointState(file)?.completedMs).to.equal(null);
    target = undefined;
    expect(t.update(30_000, true)).to.equal(undefined);
  });

  it('reads the checkpoint option: empty is none, unix seconds are a target', () => {
    expect(checkpointTargetMs('')).to.equal(undefined);
    expect(checkpointTargetMs('1700000000')).to.equal(1_700_000_000_000);
    expect(checkpointTargetMs('soon')).to.equal(undefined);
  });
});
