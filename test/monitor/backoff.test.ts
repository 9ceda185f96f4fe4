// Backoff with a manual clock: doubling up to the cap, and the reset after a stable run.

import { expect } from 'chai';
import { Backoff, DEFAULT_BACKOFF } from '../../src/monitor/index.js';
import type { BackoffConfig } from '../../src/monitor/index.js';
import { codeOf } from '../support/error-code.js';
import { ManualClock } from '../support/manual-clock.js';

const CFG: BackoffConfig = { initialMs: 100, maxMs: 1_000, stableMs: 5_000 };

/** `n` quick crashes: start, die at once. */
function crashes(b: Backoff, n: number): number[] {
  return Array.from({ length: n }, () => {
    b.started();
    return b.exited();
  });
}

describe('monitor/backoff', () => {
  it('doubles from initialMs and stays at maxMs', () => {
    const b = new Backoff(CFG, new ManualClock());
    expect(crashes(b, 7)).to.deep.equal([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('caps a delay that would overshoot maxMs', () => {
    const b = new Backoff({ initialMs: 300, maxMs: 1_000, stableMs: 5_000 }, new ManualClock());
    expect(crashes(b, 4)).to.deep.equal([300, 600, 1_000, 1_000]);
  });

  it('starts over at initialMs once the child stayed up stableMs', () => {
    const clock = new ManualClock();
    const b = new Backoff(CFG, clock);
    expect(crashes(b, 4)).to.deep.equal([100, 200, 400, 800]);
    b.started();
    clock.advance(CFG.stableMs);
    expect(b.exited()).to.equal(100);
    expect(crashes(b, 2)).to.deep.equal([200, 400]);
  });

  it('keeps growing when the child died just short of stableMs', () => {
    const clock = new ManualClock();
    const b = new Backoff(CFG, clock);
    expect(crashes(b, 2)).to.deep.equal([100, 200]);
    b.started();
    clock.advance(CFG.stableMs - 1);
    expect(b.exited()).to.equal(400);
    expect(b.peek()).to.equal(800);
  });

  it('measures uptime from the latest start only, and counts a missing start as a crash', () => {
    const clock = new ManualClock();
    const b = new Backoff(CFG, clock);
    b.started();
    clock.advance(CFG.stableMs); // time spent before a restart is not uptime of the next run
    expect(b.exited()).to.equal(100);
    clock.advance(CFG.stableMs); // the restart wait: not running
    expect(b.exited()).to.equal(200);
  });

  it('rejects each bad field with CONFIG_INVALID', () => {
    const clock = new ManualClock();
    const bad: BackoffConfig[] = [
      { ...CFG, initialMs: 0 },
      { ...CFG, initialMs: Number.NaN },
      { ...CFG, maxMs: CFG.initialMs - 1 },
      { ...CFG, maxMs: Number.POSITIVE_INFINITY },
      { ...CFG, stableMs: -1 },
    ];
    for (const cfg of bad)
      expect(
        codeOf(() => new Backoff(cfg, clock)),
        JSON.stringify(cfg),
      ).to.equal('CONFIG_INVALID');
    expect(codeOf(() => new Backoff({ ...CFG, maxMs: CFG.initialMs, stableMs: 0 }, clock))).to.equal(undefined);
  });

  it('has usable defaults', () => {
    const b = new Backoff(DEFAULT_BACKOFF, new ManualClock());
    expect(crashes(b, 2)).to.deep.equal([DEFAULT_BACKOFF.initialMs, 2 * DEFAULT_BACKOFF.initialMs]);
    expect(Object.isFrozen(DEFAULT_BACKOFF)).to.equal(true);
  });
});
