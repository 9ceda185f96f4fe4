// CheckpointTracker: completion once stime reaches the target with nothing left to retry,
// recorded once with its time; a new target forgets an old completion.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { silentLogger } from '../../src/log.js';
import {
  CheckpointTracker,
  checkpointTargetMs,
  pendingBefore,
  readCheckpointState,
} from '../../src/master/checkpoint.js';
import { ManualClock } from '../support/manual-clock.js';

describe('CheckpointTracker', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-cp-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('completes once, only when stime has reached the target and nothing changed before it is pending, and resets for a new target', () => {
    const clock = new ManualClock(50_000);
    let target: number | undefined = 10_000;
    const file = path.join(dir, 'checkpoint.json');
    const t = new CheckpointTracker(file, () => target, clock, silentLogger());
    const none = (): number => 0;
    expect(t.update(9_999, none)?.completedMs).to.equal(null); // stime short of it
    expect(t.update(12_000, () => 1)?.completedMs).to.equal(null); // something changed before it still to retry
    expect(t.update(12_000, none)?.completedMs).to.equal(50_000);
    clock.advance(5_000);
    expect(t.update(13_000, none)?.completedMs).to.equal(50_000); // recorded once
    expect(readCheckpointState(file)).to.deep.equal({ targetMs: 10_000, completedMs: 50_000 });
    target = 20_000; // a new checkpoint: the old completion is stale
    expect(t.update(13_000, none)?.completedMs).to.equal(null);
    expect(readCheckpointState(file)?.completedMs).to.equal(null);
    target = undefined;
    expect(t.update(30_000, none)).to.equal(undefined);
  });

  it('waits only for ledger items whose change may precede the target, not for newer ones', () => {
    const index = SqliteGfidIndex.open(':memory:');
    try {
      const item = (gfid: string, changeMs: number) => ({
        gfid: gfid as Gfid,
        path: gfid,
        code: 'EPERM',
        errno: 'EPERM',
        message: 'x',
        changeMs,
      });
      index.ledgerRecord(item('11111111-1111-4111-8111-111111111111', 30_000), 31_000, 32_000);
      const t = new CheckpointTracker(path.join(dir, 'c.json'), () => 20_000, new ManualClock(40_000), silentLogger());
      // A failure of a change made after the target (under steady churn) does not hold it back.
      expect(t.update(35_000, (ms) => index.ledgerCountBefore(ms))?.completedMs).to.equal(40_000);
      const u = new CheckpointTracker(path.join(dir, 'd.json'), () => 31_000, new ManualClock(40_000), silentLogger());
      expect(u.update(35_000, (ms) => index.ledgerCountBefore(ms))?.completedMs).to.equal(null);
      // A retry that fails again keeps the earliest change time.
      index.ledgerRecord(item('11111111-1111-4111-8111-111111111111', 34_000), 36_000, 37_000);
      expect(index.ledgerGet('11111111-1111-4111-8111-111111111111' as Gfid)?.changeMs).to.equal(30_000);
    } finally {
      index.close();
    }
  });

  it('waits for deletes the mass-delete brake holds, made before the target, until they are released', () => {
    const index = SqliteGfidIndex.open(':memory:');
    try {
      const held = index.heldDeletes();
      const t = new CheckpointTracker(path.join(dir, 'h.json'), () => 20_000, new ManualClock(40_000), silentLogger());
      const gfid = '11111111-1111-4111-8111-111111111111' as Gfid;
      held.hold(
        [{ gfid, entry: { pargfid: ROOT_GFID, name: Buffer.from('a') }, dir: false, changeMs: 30_000 }],
        31_000,
      );
      // Held after the target: no hold on it.
      expect(pendingBefore(index, held)(20_000)).to.equal(0);
      held.hold(
        [{ gfid, entry: { pargfid: ROOT_GFID, name: Buffer.from('b') }, dir: false, changeMs: 10_000 }],
        31_000,
      );
      expect(t.update(35_000, pendingBefore(index, held))?.completedMs).to.equal(null);
      held.drop(0, held.lastSeq()); // released and sent
      expect(t.update(35_000, pendingBefore(index, held))?.completedMs).to.equal(40_000);
    } finally {
      index.close();
    }
  });

  it('reads the checkpoint option: empty is none, unix seconds are a target', () => {
    expect(checkpointTargetMs('')).to.equal(undefined);
    expect(checkpointTargetMs('1700000000')).to.equal(1_700_000_000_000);
    expect(checkpointTargetMs('soon')).to.equal(undefined);
  });
});
