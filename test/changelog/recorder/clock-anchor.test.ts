// Clock anchor: the wall clock read with the time since boot, and whether it ran evenly since.

import { expect } from 'chai';
import {
  CLOCK_STEP_MS,
  clockRanEvenly,
  decodeAnchor,
  encodeAnchor,
  readAnchor,
} from '../../../src/changelog/recorder/clock-anchor.js';

describe('recorder/clock-anchor', () => {
  it('reads this machine: a boot id, the time since boot and the wall clock, and keeps them', () => {
    const a = readAnchor();
    expect(a?.bootId).to.match(/^[0-9a-f-]{36}$/);
    expect(a?.uptimeMs).to.be.greaterThan(0);
    expect(Math.abs((a?.wallMs ?? 0) - Date.now())).to.be.lessThan(1000);
    expect(decodeAnchor(encodeAnchor(a as NonNullable<typeof a>))).to.deep.equal(a);
    expect(clockRanEvenly(a as NonNullable<typeof a>, readAnchor() as NonNullable<typeof a>)).to.equal(true);
  });

  it('says uneven for another boot, a step of the wall clock either way, or time running back', () => {
    const then = { bootId: 'b', uptimeMs: 10_000, wallMs: 1_000_000 };
    expect(clockRanEvenly(then, { bootId: 'b', uptimeMs: 70_000, wallMs: 1_060_500 })).to.equal(true);
    expect(clockRanEvenly(then, { bootId: 'c', uptimeMs: 70_000, wallMs: 1_060_000 })).to.equal(false);
    expect(clockRanEvenly(then, { bootId: 'b', uptimeMs: 70_000, wallMs: 1_060_000 + CLOCK_STEP_MS + 1 })).to.equal(
      false,
    );
    expect(clockRanEvenly(then, { bootId: 'b', uptimeMs: 70_000, wallMs: 1_000_000 })).to.equal(false);
    expect(clockRanEvenly(then, { bootId: 'b', uptimeMs: 5_000, wallMs: 995_000 })).to.equal(false);
  });

  it('reads none from a missing or foreign value', () => {
    for (const bad of [undefined, '', 'not json', 'null', '{"bootId":1,"uptimeMs":1,"wallMs":1}', '{"bootId":"b"}'])
      expect(decodeAnchor(bad), String(bad)).to.equal(undefined);
  });
});
