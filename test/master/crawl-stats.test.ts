import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { CrawlStats } from '../../src/master/crawl-stats.js';

const outcome = (over: Partial<Parameters<CrawlStats['settle']>[1]> = {}): Parameters<CrawlStats['settle']>[1] => ({
  entryOps: 0,
  metaOps: 0,
  dataFiles: 0,
  bytesSent: 0,
  deletes: 0,
  failures: [],
  vanished: [],
  delivered: [],
  ...over,
});

describe('CrawlStats', () => {
  it('starts with every counter at zero, and the snapshot carries each of them', () => {
    const snap = new CrawlStats().snapshot(5);
    const numbers = Object.entries(snap).filter(([, v]) => typeof v === 'number');
    expect(numbers.length).to.equal(14); // 13 counters and updatedMs
    expect(numbers.filter(([k, v]) => k !== 'updatedMs' && v !== 0)).to.deep.equal([]);
    expect(snap).to.include({ crawlStatus: 'Idle', lastSyncedMs: null, updatedMs: 5 });
  });

  it('moves a settled batch from pending to done, never below zero', () => {
    const s = new CrawlStats();
    s.pend(3, 300, 1, 2, 4);
    expect(s.snapshot(0)).to.include({
      filesPending: 3,
      bytesPending: 300,
      deletesPending: 1,
      entryPending: 2,
      metaPending: 4,
    });
    s.entriesApplied(5);
    s.settle(
      { files: 3, bytes: 300, deletes: 1, metas: 4 },
      outcome({ dataFiles: 2, bytesSent: 200, entryOps: 2, deletes: 1 }),
    );
    expect(s.snapshot(0)).to.include({
      filesPending: 0,
      bytesPending: 0,
      deletesPending: 0,
      entryPending: 0,
      metaPending: 0,
      filesSynced: 2,
      bytesSynced: 200,
      entryOps: 2,
      deletes: 1,
    });
  });

  it('keeps the latest failure per path and cause, and counts every occurrence', () => {
    const s = new CrawlStats();
    const f = (p: string, code: string, message: string) => ({ path: p, code, message });
    s.addFailures([f('a', 'ENOSPC', 'first'), f('b', 'ENOSPC', 'b')]);
    s.addFailures([f('a', 'ENOSPC', 'again')]);
    expect(s.failureEvents).to.equal(3);
    expect(s.failures.map((x) => x.message)).to.deep.equal(['b', 'again']);
  });

  it('saves the snapshot as JSON that reads back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-crawl-stats-'));
    try {
      const s = new CrawlStats();
      s.counts.entriesScanned = 7;
      s.save(path.join(dir, 'stats.json'), 9);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'stats.json'), 'utf8'))).to.include({
        entriesScanned: 7,
        updatedMs: 9,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
