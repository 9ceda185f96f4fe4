// The scheduled audit's clock (audit-schedule.ts), on a manual clock: the first audit an
// interval after the live crawl starts (or after the last recorded audit), the next an interval
// after each one ends, never two at once, a failure logged and retried an interval later.

import { expect } from 'chai';
import { GeorepError } from '../../src/errors.js';
import type { AuditResult } from '../../src/verify/audit-state.js';
import { AuditSchedule } from '../../src/verify/audit-schedule.js';
import { eventLogger } from '../support/event-log.js';
import { ManualClock } from '../support/manual-clock.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function result(startedMs: number, endedMs: number): AuditResult {
  return {
    startedMs,
    endedMs,
    examined: 10,
    drift: 0,
    inFlight: 0,
    known: 0,
    sample: 1,
    checksum: false,
    repaired: null,
  };
}

/** Runs a schedule until `rounds` audits were started; returns when each started (ms after T0). */
async function startsOf(opts: {
  intervalMs: number;
  lastEndMs?: number;
  rounds: number;
  roundMs?: number;
  fail?: (n: number) => Error | undefined;
}): Promise<{ starts: number[]; results: AuditResult[]; events: Record<string, unknown>[] }> {
  const clock = new ManualClock(T0);
  const { log, events } = eventLogger();
  const stop = new AbortController();
  const starts: number[] = [];
  const results: AuditResult[] = [];
  let running = 0;
  await new AuditSchedule({
    clock,
    log,
    intervalMs: opts.intervalMs,
    lastEndMs: opts.lastEndMs,
    round: async () => {
      expect(running, 'two audits at once').to.equal(0);
      running++;
      const at = clock.nowMs();
      starts.push(at - T0);
      if (starts.length >= opts.rounds) stop.abort();
      await clock.sleep(opts.roundMs ?? 0);
      running--;
      const e = opts.fail?.(starts.length);
      if (e !== undefined) throw e;
      return result(at, clock.nowMs());
    },
    onResult: (r) => results.push(r),
  }).run(stop.signal);
  return { starts, results, events };
}

describe('verify/audit-schedule', () => {
  it('never audits with audit-interval 0', async () => {
    const { starts } = await startsOf({ intervalMs: 0, rounds: 1 });
    expect(starts).to.deep.equal([]);
  });

  it('audits an interval after the start, then an interval after each audit ends', async () => {
    const { starts, results } = await startsOf({ intervalMs: 10 * MIN, rounds: 3, roundMs: 2 * MIN });
    expect(starts).to.deep.equal([10 * MIN, 22 * MIN, 34 * MIN]);
    // The last one was stopped while it ran: its result still counts (it completed here).
    expect(results.map((r) => r.startedMs - T0)).to.deep.equal([10 * MIN, 22 * MIN, 34 * MIN]);
  });

  it('keeps the schedule across a worker restart: due an interval after the last recorded audit', async () => {
    const { starts } = await startsOf({ intervalMs: 10 * MIN, lastEndMs: T0 - 7 * MIN, rounds: 2 });
    expect(starts).to.deep.equal([3 * MIN, 13 * MIN]);
    // Long overdue: at once, not an interval later.
    const overdue = await startsOf({ intervalMs: 10 * MIN, lastEndMs: T0 - 50 * MIN, rounds: 1 });
    expect(overdue.starts).to.deep.equal([0]);
  });

  it('takes a last audit recorded in the future (the clock went back) as now', async () => {
    const { starts } = await startsOf({ intervalMs: 10 * MIN, lastEndMs: T0 + 600 * MIN, rounds: 1 });
    expect(starts).to.deep.equal([10 * MIN]);
  });

  it('logs a failed audit as an event and tries again an interval later; a busy session is skipped', async () => {
    const { starts, results, events } = await startsOf({
      intervalMs: 5 * MIN,
      rounds: 3,
      roundMs: MIN,
      fail: (n) =>
        n === 1
          ? new GeorepError('AGENT_DIED', 'the slave agent exited with code 1')
          : n === 2
            ? new GeorepError('SESSION_BUSY', 'a verify or repair of this session runs already')
            : undefined,
    });
    expect(starts).to.deep.equal([5 * MIN, 11 * MIN, 17 * MIN]);
    expect(results).to.have.length(1);
    expect(events.map((e) => [e['event'], e['code']])).to.deep.equal([
      ['audit_failed', 'AGENT_DIED'],
      ['audit_skipped', undefined],
    ]);
  });

  it('stops while waiting without auditing', async () => {
    const clock = new ManualClock(T0);
    const stop = new AbortController();
    stop.abort();
    let rounds = 0;
    await new AuditSchedule({
      clock,
      log: eventLogger().log,
      intervalMs: MIN,
      lastEndMs: undefined,
      round: () => {
        rounds++;
        return Promise.resolve(result(T0, T0));
      },
      onResult: () => undefined,
    }).run(stop.signal);
    expect(rounds).to.equal(0);
  });
});
