// DeleteBrake: when a turn's deletes are a mass delete (limits, and a master root that is not
// the one the session syncs, or is empty), its state in the session's index, and the release.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { BRAKE_KEYS, DeleteBrake, limitCause, requestRelease } from '../../src/master/delete-brake.js';
import { eventLogger } from '../support/event-log.js';
import { ManualClock } from '../support/manual-clock.js';

const CFG = { deleteBrakePercent: 10, deleteBrakeCount: 10_000, deleteBrakeMin: 100 };

describe('limitCause', () => {
  it('trips above delete-brake-count, or above the percentage from delete-brake-min deletes on', () => {
    expect(limitCause(CFG, { entries: 10_000, total: 1_000_000 })).to.equal(undefined);
    expect(limitCause(CFG, { entries: 10_001, total: 1_000_000 })).to.match(
      /10001 deletes exceed delete-brake-count 10000/,
    );
    expect(limitCause(CFG, { entries: 100, total: 1000 })).to.equal(undefined); // 10 %: not above it
    expect(limitCause(CFG, { entries: 101, total: 1000 })).to.match(/10\.1% of the 1000 entries/);
    expect(limitCause(CFG, { entries: 500, total: 1000 })).to.match(/50% of the 1000 entries/);
    // A few deletes of a small tree are no mass delete.
    expect(limitCause(CFG, { entries: 99, total: 100 })).to.equal(undefined);
    expect(limitCause({ ...CFG, deleteBrakeMin: 0 }, { entries: 2, total: 10 })).to.match(/20% of the 10/);
  });

  it('turns either limit off with 0', () => {
    const off = { deleteBrakePercent: 0, deleteBrakeCount: 0, deleteBrakeMin: 0 };
    expect(limitCause(off, { entries: 1_000_000, total: 1_000_000 })).to.equal(undefined);
    expect(limitCause({ ...CFG, deleteBrakeCount: 0 }, { entries: 20_000, total: 1_000_000 })).to.equal(undefined);
    expect(limitCause({ ...CFG, deleteBrakePercent: 0 }, { entries: 900, total: 1000 })).to.equal(undefined);
  });
});

describe('DeleteBrake', () => {
  let tmp: string;
  let root: string;
  let index: SqliteGfidIndex;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-brake-')));
    root = path.join(tmp, 'master');
    fs.mkdirSync(root);
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => {
    index.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const brake = () => {
    const { log, events } = eventLogger();
    const clock = new ManualClock(1_000);
    return { b: new DeleteBrake(CFG, { rootPath: root, index, held: index.heldDeletes(), log, clock }), events };
  };

  it('records the master root, and names a replaced, empty or unreadable one', () => {
    const { b } = brake();
    fs.writeFileSync(path.join(root, 'f'), 'x');
    expect(b.rootCause(true)).to.equal(undefined);
    expect(index.getMeta(BRAKE_KEYS.root)).to.match(/^\d+:\d+$/);
    fs.rmSync(path.join(root, 'f'));
    expect(b.rootCause(false)).to.equal(undefined); // empty, nothing pending, nothing indexed
    expect(b.rootCause(true)).to.match(/is empty/);
    index.create('file', 1n, { pargfid: ROOT_GFID, name: Buffer.from('f') });
    expect(b.rootCause(false)).to.match(/is empty/); // the index still holds what it had
    fs.renameSync(root, `${root}.old`);
    expect(b.rootCause(false)).to.match(/cannot be read \(ENOENT\)/);
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'g'), 'y');
    expect(b.rootCause(false)).to.match(/another directory .* unmounted, mounted over or replaced/);
  });

  it('engages once, with the first cause and an event; a release lets go and accepts the root as it is', () => {
    const { b, events } = brake();
    expect(b.rootCause(false)).to.equal(undefined);
    b.engage('first cause');
    b.engage('second cause');
    b.hold([
      {
        gfid: '00000000-0000-4000-8000-000000000001' as Gfid,
        entry: { pargfid: ROOT_GFID, name: Buffer.from('a') },
        dir: false,
        changeMs: 5,
      },
    ]);
    expect(b.state()).to.deep.equal({ cause: 'first cause', sinceMs: 1_000, held: 1 });
    expect(b.heldAt({ pargfid: ROOT_GFID, name: Buffer.from('a') })).to.equal(true);
    expect(b.releaseAsked()).to.equal(undefined);
    expect(requestRelease(index, index.heldDeletes())).to.deep.equal({ held: 1, engaged: true });
    expect(b.releaseAsked()).to.equal(1);
    fs.rmSync(root, { recursive: true });
    fs.mkdirSync(root); // replaced meanwhile: the release takes it as the root from now on
    b.clear(1);
    expect(b.state()).to.equal(undefined);
    expect(b.releaseAsked()).to.equal(undefined);
    expect(b.rootCause(false)).to.equal(undefined);
    expect(events.map((e) => [e['event'], e['action']])).to.deep.equal([
      ['delete_brake', 'engaged'],
      ['delete_brake', 'released'],
    ]);
  });

  it('records no release when nothing is held and the brake is not engaged', () => {
    expect(requestRelease(index, index.heldDeletes())).to.deep.equal({ held: 0, engaged: false });
    expect(index.getMeta(BRAKE_KEYS.release)).to.equal(undefined);
  });
});
