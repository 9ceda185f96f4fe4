// recordProblems in a real session index (SQLite in memory): a turn's problems are filed with
// attempts and an exponential backoff capped at retry-backoff-max; an item gone from the master
// is not filed; a retried item that landed leaves the ledger; a GFID_UNKNOWN on a directory
// queues its subtree to be synced again.

import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { recordProblems } from '../../src/master/failure-ledger.js';
import type { ItemProblem } from '../../src/master/batch-runner.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { eventLogger } from '../support/event-log.js';
import { ManualClock } from '../support/manual-clock.js';

const crawl = resolveConfig([{ source: 'the test', values: { 'retry-backoff': 10, 'retry-backoff-max': 60 } }]);
const at = (name: string) => ({ pargfid: ROOT_GFID, name: Buffer.from(name) });

describe('master/recordProblems', () => {
  let index: SqliteGfidIndex;
  let clock: ManualClock;
  let events: Record<string, unknown>[];
  let record: (problems: [Gfid, ItemProblem][], retried?: Gfid[]) => void;
  beforeEach(() => {
    index = SqliteGfidIndex.open(':memory:');
    clock = new ManualClock(1_000_000);
    const logged = eventLogger();
    events = logged.events;
    record = (problems, retried = []) =>
      recordProblems({ index, clock, log: logged.log, crawl }, new Map(problems), retried, 500);
  });
  afterEach(() => index.close());

  const problem = (path: string, code = 'EACCES'): ItemProblem => ({ path, code, message: 'refused' });

  it('files a problem with its attempts and a doubling backoff, capped', () => {
    const f = index.create('file', 1n, at('f'));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      record([[f, problem('f')]]);
      const item = index.ledgerGet(f);
      expect(item?.attempts).to.equal(i + 1);
      waits.push(((item?.nextMs ?? 0) - clock.nowMs()) / 1000);
    }
    expect(waits).to.deep.equal([10, 20, 40, 60, 60]);
    expect(index.ledgerGet(f)).to.deep.include({ code: 'EACCES', changeMs: 500 });
    expect(events.filter((e) => e['event'] === 'failure_added')).to.have.length(1);
  });

  it('does not file an item gone from the master', () => {
    const g = index.create('file', 2n, at('g'));
    index.unlink(at('g'));
    record([[g, problem('g')]]);
    expect(index.ledgerGet(g)).to.equal(undefined);
  });

  it('resolves a retried item that landed, and keeps one that failed again', () => {
    const ok = index.create('file', 3n, at('ok'));
    const bad = index.create('file', 4n, at('bad'));
    record([
      [ok, problem('ok')],
      [bad, problem('bad')],
    ]);
    record([[bad, problem('bad')]], [ok, bad]);
    expect(index.ledgerGet(ok)).to.equal(undefined);
    expect(index.ledgerGet(bad)?.attempts).to.equal(2);
    expect(events.filter((e) => e['event'] === 'failure_resolved').map((e) => e['gfid'])).to.deep.equal([ok]);
  });

  it('queues the subtree of a directory the slave does not know', () => {
    const d = index.create('dir', 5n, at('d'));
    const inner = index.create('file', 6n, { pargfid: d, name: Buffer.from('inner') });
    record([[d, problem('d', 'GFID_UNKNOWN')]]);
    expect(index.ledgerGet(inner)).to.not.equal(undefined);
  });
});
