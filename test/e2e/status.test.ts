// E2E for status and checkpoints on a running daemon: the socket and `status --json` answer
// under load, a checkpoint completes only once the slave really holds everything up to it (and
// on an idle master within seconds), only the owner can reach the socket, and a stopped
// session shows Stopped with its last values. The checkpoint tests run on the awkward tree,
// with changes to awkward names at the top and deep down (a '..dots' deletion, symlinks
// retargeted under the same name) made just before the checkpoint is set (issue 13).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { SessionStatus } from '../../src/master/session-status.js';
import { queryStatus, statusSocketPath } from '../../src/master/status-service.js';
import { freePort } from '../support/free-port.js';
import { sessionFixture } from '../support/session-fixture.js';
import { AWKWARD, buildAwkwardTree, mutate, replaceSymlinkOps, retargetOps } from '../support/tree-builder.js';
import type { MutateOp } from '../support/tree-builder.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const WAIT_MS = 30_000;
const KiB = 1024;

/** The awkward tree with small big and sparse files: these tests are about names, not volume. */
const awkwardTree = (root: string): void =>
  buildAwkwardTree(root, { bigFileBytes: 256 * KiB, sparseBytes: 2048 * KiB });

/** Changes to awkward names at the top and deep down, made right before a checkpoint is set. */
const BEFORE_CHECKPOINT: readonly MutateOp[] = [
  ...retargetOps(AWKWARD.symlinkRoot, '..dotz'),
  ...retargetOps(AWKWARD.symlinkDeep, '../../../../..config/inner'),
  ...replaceSymlinkOps(AWKWARD.symlinkDangling, 'still/not/there'),
  ...retargetOps(AWKWARD.symlinkNewline, 'line1\nline3'),
  { op: 'delete', path: AWKWARD.dotDots },
  { op: 'delete', path: AWKWARD.deepDotDots },
  { op: 'rename', from: AWKWARD.threeDots, to: '..renamed' },
  { op: 'rewrite-same-second', path: AWKWARD.hash },
  { op: 'rewrite-keep-mtime', path: AWKWARD.deepSemicolon },
  { op: 'add-file', path: ';new', content: 'new, leading semicolon\n' },
  { op: 'add-file', path: `${AWKWARD.deepDir}/#new`, content: 'new deep, leading hash\n' },
  { op: 'add-link', existing: AWKWARD.farLinks[0], path: `${AWKWARD.deepDir}/..far-new` },
  { op: 'rename', from: AWKWARD.dotDotDir, to: '..config renamed' },
];

describe('e2e: status and checkpoints', function () {
  this.timeout(120_000);
  const locked: string[] = [];
  const s = sessionFixture({
    prefix: 'georep-status-',
    stop: true,
    cleanup: () => {
      for (const d of locked) execFileSync('chattr', ['-i', d]);
      locked.length = 0;
    },
  });
  beforeEach(() => {
    fs.mkdirSync(s.master);
  });

  const geo = async (...args: string[]): Promise<string> => (await s.expectExit(EXIT.ok, args)).stdout;
  const status = async (): Promise<SessionStatus> =>
    JSON.parse(await geo('status', s.master, s.slave, '--json')) as SessionStatus;
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const w = (rel: string, data: string): void => {
    fs.mkdirSync(path.dirname(path.join(s.master, rel)), { recursive: true });
    fs.writeFileSync(path.join(s.master, rel), data);
  };

  it('answers under load, completes a checkpoint only when the slave holds everything, and on an idle master', async () => {
    awkwardTree(s.master);
    for (let i = 0; i < 200; i++) w(`d${i % 10}/f${i}`, `v${i}`);
    await geo('start', s.master, s.slave);
    await until('Active / Changelog Crawl', async () => {
      const st = await status();
      return st.worker_status === 'Active' && st.crawl_status === 'Changelog Crawl';
    });

    // Awkward names changed, a burst, then a checkpoint: completed must mean the slave has all
    // of it. Nothing changes after the checkpoint is set, so the master is what the slave must
    // hold the moment it completes. The worker is paused until the checkpoint is set, so every
    // change is still to sync and "not reached yet" does not depend on how fast a burst syncs
    // (a loaded machine synced it before a second georep command had started).
    await geo('pause', s.master, s.slave);
    mutate(s.master, BEFORE_CHECKPOINT);
    for (let i = 0; i < 300; i++) w(`d${i % 10}/f${i}`, `v${i}-second-${'x'.repeat(i)}`);
    fs.renameSync(path.join(s.master, 'd1'), path.join(s.master, 'd1-renamed'));
    const socket = statusSocketPath(
      fs.readdirSync(path.join(s.work, 'sessions')).map((n) => path.join(s.work, 'sessions', n))[0] ?? '',
    );
    await geo('checkpoint', 'set', s.master, s.slave, 'now');
    await sleep(1500); // past the target second: only the worker's progress can complete it now
    expect((await geo('checkpoint', 'status', s.master, s.slave)).trim()).to.match(/not reached yet$/);
    await geo('resume', s.master, s.slave);
    let live: SessionStatus | undefined;
    await until('checkpoint completed', async () => {
      live = await queryStatus(socket); // the socket answers while the worker syncs
      expect(live, 'the status socket answers').to.not.equal(undefined);
      return live?.checkpoint_completed === true;
    });
    const diffs = compareTrees(s.master, s.slave);
    expect(diffs, `checkpoint completed, slave differs:\n${formatDifferences(diffs)}`).to.deep.equal([]);
    expect(live?.checkpoint_completion_time).to.be.a('string');
    expect((await geo('checkpoint', 'status', s.master, s.slave)).trim()).to.match(/completed at \d{4}-/);

    // An idle master: a new checkpoint completes within seconds, nothing touched.
    await sleep(1100); // the next whole second: a new target
    await geo('checkpoint', 'set', s.master, s.slave, 'now');
    const setAt = Date.now();
    await until('idle checkpoint', async () => (await status()).checkpoint_completed);
    expect(Date.now() - setAt).to.be.lessThan(5000);
    const idle = await status();
    expect([idle.backlog_changelogs, idle.eta_seconds]).to.deep.equal([0, 0]); // nothing left: no wait
    expect(idle.backlog_rate_bytes_per_second).to.be.a('number'); // measured over the burst

    // Only the owner can reach the socket.
    expect(fs.statSync(socket).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(socket)).mode & 0o777).to.equal(0o700);
    await s.expectExit(EXIT.ok, ['stop', s.master, s.slave]);
    const stopped = await status();
    expect(stopped.worker_status).to.equal('Stopped');
    expect(stopped.last_synced).to.be.a('string');
    expect(stopped.checkpoint_completed).to.equal(true);
    expect(fs.existsSync(socket), 'socket removed at stop').to.equal(false);
  });

  it('lists every session in a table, and shows a stopped one as Stopped', async () => {
    w('a', 'a');
    await geo('start', s.master, s.slave);
    await until('Active', async () => (await status()).worker_status === 'Active');
    const table = await geo('status', '--detail');
    expect(table).to.match(/STATUS\s+CRAWL STATUS\s+LAST SYNCED/);
    expect(table).to.include(s.master);
    expect(table).to.match(/Active\s+Changelog Crawl/);
    await geo('stop', s.master, s.slave);
    expect(await geo('status')).to.match(/Stopped/);
  });

  it('keeps what cannot land in the failure ledger, holds the checkpoint, and lands it once the obstruction goes (chattr +i)', async function () {
    awkwardTree(s.master);
    const lockedRel = `${AWKWARD.deepDir}/#locked`;
    w(`${lockedRel}/old`, 'old');
    w('free/a', 'a');
    await geo('start', s.master, s.slave, '--retry-backoff-max', '2');
    await until('Active', async () => (await status()).worker_status === 'Active');
    await until('first sync', async () => fs.existsSync(s.slave) && compareTrees(s.master, s.slave).length === 0);
    const lockedDir = path.join(s.slave, lockedRel);
    execFileSync('chattr', ['+i', lockedDir]);
    locked.push(lockedDir);
    const blocked = `${lockedRel}/..new`;
    w(blocked, 'cannot land while the slave directory is immutable');
    w('free/b', 'b');
    mutate(s.master, BEFORE_CHECKPOINT);
    await geo('checkpoint', 'set', s.master, s.slave, 'now');
    type Failure = { path: string; code: string; attempts: number; change_time: string | null; first_failure: string };
    const failures = async (): Promise<Failure[]> =>
      JSON.parse(await geo('failures', s.master, s.slave, '--json')) as Failure[];
    await until('the ledger item', async () => (await failures()).some((f) => f.path === blocked));
    const item = (await failures()).find((f) => f.path === blocked);
    expect(item?.code).to.equal('EPERM');
    // Its change was made before the checkpoint's target, and the ledger says so: the reason it is waited for.
    expect(Date.parse(item?.change_time ?? '')).to.be.at.most(Date.parse(item?.first_failure ?? ''));
    await until('free/b landed', async () => fs.existsSync(path.join(s.slave, 'free/b')));
    await sleep(3000); // several retries and turns: still failing, still held
    const held = await status();
    expect(held.failures).to.be.greaterThan(0);
    expect(held.checkpoint_completed, 'checkpoint completed with a failure in the ledger').to.equal(false);
    expect((await geo('checkpoint', 'status', s.master, s.slave)).trim()).to.match(/not reached yet$/);
    expect((await failures()).find((f) => f.path === blocked)?.attempts).to.be.greaterThan(1);

    execFileSync('chattr', ['-i', lockedDir]);
    locked.length = 0;
    await until('the ledger empties', async () => (await failures()).length === 0);
    await until('the checkpoint completes', async () => (await status()).checkpoint_completed);
    const diffs = compareTrees(s.master, s.slave);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
    expect(await geo('failures', s.master, s.slave)).to.equal('No failures.\n');

    // Drift repaired on request: the slave copy is changed behind georep's back.
    fs.writeFileSync(path.join(s.slave, 'free/a'), 'drifted');
    expect(await geo('resync', s.master, s.slave, path.join(s.master, 'free'))).to.match(/queued 3 entries of free/);
    await until('drift repaired', async () => fs.readFileSync(path.join(s.slave, 'free/a'), 'utf8') === 'a');
  });

  it('pauses and resumes a session: nothing reaches the slave while paused, all of it after', async () => {
    w('a', 'a');
    await geo('start', s.master, s.slave);
    await until('Active', async () => (await status()).worker_status === 'Active');
    await until('first sync', async () => fs.existsSync(path.join(s.slave, 'a')));
    await geo('pause', s.master, s.slave);
    expect((await status()).worker_status).to.equal('Paused');
    w('while-paused', 'p');
    await sleep(3000);
    expect(fs.existsSync(path.join(s.slave, 'while-paused')), 'synced while paused').to.equal(false);
    await geo('resume', s.master, s.slave);
    await until('synced after resume', async () => fs.existsSync(path.join(s.slave, 'while-paused')));
    // A paused session also stops cleanly.
    await geo('pause', s.master, s.slave);
    const started = Date.now();
    await geo('stop', s.master, s.slave);
    expect(Date.now() - started).to.be.lessThan(8000);
    expect((await status()).worker_status).to.equal('Stopped');
  });

  it('serves Prometheus metrics on loopback when metrics-port is set', async () => {
    const port = await freePort();
    w('a', 'a');
    await geo('start', s.master, s.slave, '--metrics-port', String(port));
    await until('Active', async () => (await status()).worker_status === 'Active');
    w('b', 'b');
    await until('b synced', async () => fs.existsSync(path.join(s.slave, 'b')));
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).to.match(/^georep_worker_status\{[^}]*status="Active"\} 1$/m);
    expect(text).to.match(/^georep_crawl_status\{[^}]*status="Changelog Crawl"\} 1$/m);
    expect(text).to.match(/^georep_failures\{[^}]*\} 0$/m);
    expect(text).to.match(/^georep_stime_age_seconds\{[^}]*\} [0-9.]+$/m);
    const entryOps = /^georep_entry_ops_total (\d+)$/m.exec(text);
    expect(Number(entryOps?.[1])).to.be.greaterThan(0);
  });
});
