// Progress and summary: plain progress lines are throttled by the clock and end with a final
// line; the summary counts everything and lists failures with path and cause, one per line.

import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { PLAIN_PROGRESS_INTERVAL_MS, createProgress, etaText } from '../../src/cli/progress.js';
import { MAX_LISTED, formatSummary } from '../../src/cli/summary.js';
import type { OneshotReport, Progress } from '../../src/master/index.js';
import { ManualClock } from '../support/manual-clock.js';

function capturingLogger(): { log: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString().trimEnd());
      done();
    },
  });
  const log = winston.createLogger({
    level: 'info',
    format: winston.format.printf(({ message }) => String(message)),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, lines };
}

const step = (filesDone: number, bytesDone: number): Progress => ({
  phase: 'sync',
  entriesScanned: 10,
  filesTotal: 10,
  filesDone,
  bytesTotal: 1000,
  bytesDone,
});

const report = (over: Partial<OneshotReport> = {}): OneshotReport => ({
  entryOps: 12,
  metaOps: 3,
  dataFiles: 10,
  bytesSent: 2048,
  deletes: 1,
  entriesSeeded: 0,
  skipped: [],
  failures: [],
  durationMs: 1500,
  ...over,
});

describe('cli/progress', () => {
  it('logs at most one plain line per interval, and a final line', async () => {
    const clock = new ManualClock();
    const { log, lines } = capturingLogger();
    const p = createProgress({ tty: false, stream: process.stderr, clock, log });
    p.update({ ...step(0, 0), phase: 'crawl' });
    clock.advance(10);
    p.update(step(1, 100));
    clock.advance(PLAIN_PROGRESS_INTERVAL_MS);
    p.update(step(5, 500));
    p.finish(true);
    await new Promise((r) => setImmediate(r));
    expect(lines).to.have.length(3);
    expect(lines[0]).to.include('crawl');
    expect(lines[1]).to.include('5/10 files').and.include('50%').and.include('ETA');
    expect(lines[2]).to.match(/^done: /);
  });

  it('logs no final line when the run did not complete', async () => {
    const clock = new ManualClock();
    const { log, lines } = capturingLogger();
    const p = createProgress({ tty: false, stream: process.stderr, clock, log });
    p.update(step(1, 100));
    p.finish(false);
    await new Promise((r) => setImmediate(r));
    expect(lines).to.have.length(1);
  });
});

describe('cli/summary', () => {
  it('summarises a clean run in one paragraph', () => {
    const text = formatSummary(report(), '/m', '/s');
    expect(text.trimEnd().split('\n')).to.have.length(1);
    expect(text).to.include('10 files').and.include('2.0 KiB').and.include('1 delete;').and.include('no failures');
  });

  it('lists failures with path and cause, escaping control characters, and counts skips by reason', () => {
    const text = formatSummary(
      report({
        failures: [{ path: 'a\nb', code: 'RSYNC_FAILED', message: 'rsync exited 23' }],
        skipped: [
          { path: 's1', code: 'SOCKET', message: 'sockets are not replicated' },
          { path: 's2', code: 'SOCKET', message: 'sockets are not replicated' },
        ],
      }),
      '/m',
      '/s',
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).to.include('1 failure').and.include('2 skipped (SOCKET ×2)');
    expect(lines[1]).to.equal('  failed a\\nb: RSYNC_FAILED: rsync exited 23');
    // One cause, said once, with every path that has it.
    expect(lines.slice(2)).to.deep.equal(['  skipped s1, s2: SOCKET: sockets are not replicated']);
  });

  it('says each distinct cause once, in order of first appearance', () => {
    const failures = [
      { path: 'a', code: 'RSYNC_FAILED', message: 'box failed: no space' },
      { path: 'b', code: 'GFID_UNKNOWN', message: 'entry op failed first' },
      { path: 'c', code: 'RSYNC_FAILED', message: 'box failed: no space' },
    ];
    const lines = formatSummary(report({ failures }), '/m', '/s').trimEnd().split('\n');
    expect(lines.slice(1)).to.deep.equal([
      '  failed a, c: RSYNC_FAILED: box failed: no space',
      '  failed b: GFID_UNKNOWN: entry op failed first',
    ]);
  });

  it('caps the failure list and counts the rest', () => {
    const failures = Array.from({ length: MAX_LISTED + 7 }, (_, i) => ({
      path: `f${i}`,
      code: 'IO_ERROR',
      message: 'EIO',
    }));
    const lines = formatSummary(report({ failures }), '/m', '/s').trimEnd().split('\n');
    // One cause: one line listing MAX_LISTED paths, then the count of the rest.
    expect(lines).to.have.length(3);
    expect(lines[1]?.split(', ')).to.have.length(MAX_LISTED);
    expect(lines.at(-1)).to.include('7 more');
  });
});

describe('cli/progress etaText', () => {
  it('is unknown before anything moved, the remaining time at the rate so far after, 0s when done', () => {
    expect(etaText(0, 100, 5000)).to.equal('…');
    expect(etaText(10, 100, 0)).to.equal('…');
    expect(etaText(50, 100, 4000)).to.equal(etaText(25, 50, 4000));
    expect(etaText(100, 100, 4000)).to.equal('0s');
    expect(etaText(100, 80, 4000)).to.equal('0s'); // the total grows as the crawl finds more
  });
});
