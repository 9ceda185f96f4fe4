// E2E for the scheduled audit (issue 15 item 3) on a live daemon: with audit-interval 1 s and
// audit-sample 1, a burst of master changes while audits run is never counted as drift (it is
// in flight); a slave file rewritten behind georep's back with its size and mtime put back
// (found by audit-checksum) and a slave file deleted are: status shows the drift (JSON and the
// human output), the metrics have it and the log has an audit_drift event for each. Restarted
// with audit-repair, the session repairs it: the slave converges, checked by an independent
// walk (tree-compare), and a later audit finds nothing.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import type { SessionStatus } from '../../src/master/session-status.js';
import { logEvents } from '../support/event-log.js';
import { freePort } from '../support/free-port.js';
import { LiveSession } from '../support/live-session.js';
import { compareTrees, formatDifferences, untilTreesEqual } from '../support/tree-compare.js';

const WAIT_MS = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, limitMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Structured log entries of the session log with event `name`. */
const events = (s: LiveSession, name: string): Record<string, unknown>[] => logEvents(s.logPath(), name);

describe('e2e: scheduled audit', function () {
  this.timeout(240_000);
  let s: LiveSession;

  beforeEach(() => {
    s = new LiveSession('georep-audit-');
    fs.mkdirSync(s.master);
    for (let d = 0; d < 4; d++) {
      fs.mkdirSync(path.join(s.master, `d${d}`));
      for (let f = 0; f < 10; f++)
        fs.writeFileSync(path.join(s.master, `d${d}`, `f${f}`), `file ${d}/${f}\n`.repeat(f + 1));
    }
  });
  afterEach(async function () {
    const keep = process.env['GEOREP_KEEP_TMP'] === '1' && this.currentTest?.state === 'failed';
    if (keep) console.log(`kept ${s.tmp}`);
    await s.cleanup(keep);
  });

  const status = async (): Promise<SessionStatus> => (await s.status()) as unknown as SessionStatus;
  const m = (rel: string): string => path.join(s.master, rel);
  const sl = (rel: string): string => path.join(s.slave, rel);

  it('reports drift from slave tampering (not from changes in flight), then repairs it with audit-repair', async () => {
    const port = await freePort();
    await s.config('audit-interval', '1');
    await s.config('audit-sample', '1');
    await s.config('audit-checksum', 'true');
    await s.config('metrics-port', String(port));
    // No audit yet: never, not zero drift.
    const before = await status();
    expect([before.drift, before.audit_time, before.audit_examined]).to.deep.equal([null, null, null]);
    expect(await s.geo(['status'], ['--detail'])).to.match(/\bnever\b/);

    await s.start();
    await until('the live crawl', async () => (await status()).crawl_status === 'Changelog Crawl');
    await untilTreesEqual(s.master, s.slave, WAIT_MS); // the first sync

    // Churn while audits run every second: creates, rewrites, renames and deletes on the
    // master, each divergent for a moment on the slave, none of them drift.
    const churnStart = Date.now();
    const dirs = ['d0', 'd1', 'd2', 'd3'];
    const d = (i: number): string => dirs[i % 4] as string;
    let n = 0;
    while (Date.now() - churnStart < 6000) {
      fs.writeFileSync(m(`${d(n)}/new${n}`), `new ${n}\n`);
      fs.writeFileSync(m(`${d(n + 1)}/f${n % 10}`), `rewritten ${n}\n`);
      if (n % 5 === 4) fs.renameSync(m(`${d(n - 1)}/new${n - 1}`), m(`${d(n + 2)}/moved${n}`));
      if (n % 7 === 6) fs.rmSync(m(`${d(n - 2)}/new${n - 2}`), { force: true });
      if (n === 20) {
        fs.renameSync(m('d3'), m('d3-renamed'));
        dirs[3] = 'd3-renamed';
      }
      n++;
      await sleep(50);
    }
    await untilTreesEqual(s.master, s.slave, WAIT_MS); // the churn synced (a walk mid-change counts as not yet)
    const churned = (await status()).audit_time;
    await until('an audit after the churn synced', async () => (await status()).audit_time !== churned);
    expect(events(s, 'audit_drift'), 'changes in flight counted as drift').to.deep.equal([]);
    expect((await status()).drift).to.equal(0);
    // The churn was seen diverging, and left out as in flight (else this test proves nothing).
    const inFlight = events(s, 'audit_done').map((e) => Number(e['inFlight']));
    expect(Math.max(...inFlight), `inFlight per audit: ${inFlight.join(' ')}`).to.be.greaterThan(0);

    // Behind georep's back: a rewrite with size and mtime put back, and a deleted file (which
    // moves its directory's mtime on the slave: drift too).
    const rewritten = sl('d1/f3');
    const st = fs.statSync(rewritten);
    const size = st.size;
    fs.writeFileSync(rewritten, Buffer.alloc(size, 0x58));
    fs.utimesSync(rewritten, st.atime, st.mtime);
    expect(fs.statSync(rewritten).size).to.equal(size);
    fs.rmSync(sl('d2/f5'));
    const tamperedAt = Date.now();
    await until('an audit that saw both', async () => {
      const now = await status();
      return now.audit_time !== null && Date.parse(now.audit_time) > tamperedAt + 1000 && (now.drift ?? 0) >= 3;
    });
    const found = await status();
    expect(found.drift).to.equal(3);
    expect(found.audit_examined).to.be.greaterThan(40);
    expect(found.audit_repaired).to.equal(null);
    const drifted = events(s, 'audit_drift').map((e) => `${String(e['path'])} ${String(e['verdict'])}`);
    expect(drifted).to.include.members(['d1/f3 content', 'd2 mtime', 'd2/f5 missing']);
    // Only the tampered entries ever drift; an audit that ran while the tampering did may have
    // seen them half-way (d2/f5 listed, then gone when hashed: content, unreadable).
    const paths = new Set(events(s, 'audit_drift').map((e) => String(e['path'])));
    expect([...paths].sort()).to.deep.equal(['d1/f3', 'd2', 'd2/f5']);
    expect(await s.geo(['status'])).to.match(/Drift: the audit of \S+ found 3 of \d+ entries examined different/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).to.match(/^georep_audit_drift_entries\{[^}]*\} 3$/m);
    expect(metrics).to.match(/^georep_audit_examined_entries\{[^}]*\} \d+$/m);
    // Without audit-repair the slave stays as it is.
    expect(fs.existsSync(sl('d2/f5'))).to.equal(false);

    // With audit-repair the session mends it.
    await s.stop();
    await s.config('audit-repair', 'true');
    await s.start();
    await untilTreesEqual(s.master, s.slave, WAIT_MS); // the slave repaired
    await until('a repairing audit, then a clean one', async () => {
      const now = await status();
      return now.drift === 0 && now.audit_repaired === 0;
    });
    const repairs = events(s, 'audit_done').filter(
      (e) => typeof e['repaired'] === 'number' && Number(e['repaired']) > 0,
    );
    expect(repairs.length, 'an audit that repaired').to.be.greaterThan(0);
    const diffs = compareTrees(s.master, s.slave);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  });
});
