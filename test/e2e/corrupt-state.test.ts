// E2E, issue 15 item 5: corrupt state is never fatal. Pages in the middle of the master's
// session index or of the slave agent's index are overwritten with garbage between two
// `georep sync --oneshot` runs (or the slave's index is made to disagree with itself, which only
// a query finds): the next runs move the file aside under a timestamp, log an event naming it,
// rebuild, and the slave converges (checked by an independent walk, never by georep's status).

import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { logEvents } from '../support/event-log.js';
import { sessionFixture } from '../support/session-fixture.js';
import { buildAwkwardTree, mutate } from '../support/tree-builder.js';
import type { MutateOp } from '../support/tree-builder.js';
import { assertTreesEqual, compareTrees, formatDifferences } from '../support/tree-compare.js';
import { LiveSession } from '../support/live-session.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const STAMP = /\.corrupt-\d{8}T\d{6}\.\d{3}Z$/;

/** The awkward tree plus a few hundred small files, so that each index spans many pages. */
function buildTree(root: string): void {
  buildAwkwardTree(root, { bigFileBytes: 256 * KiB, sparseBytes: 2 * MiB });
  for (let d = 0; d < 8; d++) {
    const dir = path.join(root, 'bulk', `dir-${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 60; f++) fs.writeFileSync(path.join(dir, `file-with-a-longer-name-${f}`), `${d}/${f}\n`);
  }
}

const CHANGES: readonly MutateOp[] = [
  { op: 'add-file', path: 'bulk/dir-1/added after the damage', content: 'new\n' },
  { op: 'delete', path: 'bulk/dir-2/file-with-a-longer-name-7' },
  { op: 'rename', from: 'bulk/dir-3', to: 'bulk/dir-3 renamed' },
  { op: 'rewrite-keep-mtime', path: 'bulk/dir-4/file-with-a-longer-name-9' },
  { op: 'chmod', path: 'bulk/dir-5/file-with-a-longer-name-1', mode: 0o600 },
];

/** Overwrites four pages in the middle of a (checkpointed) SQLite file with garbage. */
function garbleMiddle(file: string): void {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const size = fs.statSync(file).size;
  expect(size, `${file} is too small to damage in the middle`).to.be.above(16 * 4096);
  const fd = fs.openSync(file, 'r+');
  try {
    const junk = Buffer.alloc(4 * 4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 0xff;
    fs.writeSync(fd, junk, 0, junk.length, Math.floor(size / 4096 / 2) * 4096);
  } finally {
    fs.closeSync(fd);
  }
}

/** The quarantined main files beside `file` (not their -wal/-shm). */
function quarantinedBeside(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(`${base}.corrupt-`) && STAMP.test(n))
    .map((n) => path.join(dir, n));
}

describe('e2e: corrupt state is never fatal', function () {
  this.timeout(120_000);
  const s = sessionFixture({ prefix: 'georep-e2e-corrupt-' });
  beforeEach(function () {
    buildTree(s.master);
  });

  const syncArgs = (logFile?: string): string[] => [
    'sync',
    '--oneshot',
    s.master,
    s.slave,
    ...(logFile === undefined ? [] : ['--log-file', logFile]),
  ];
  const syncOk = (logFile?: string): Promise<RunResult> => s.expectExit(EXIT.ok, syncArgs(logFile));
  const sessionIndex = (): string => {
    const sessions = fs.readdirSync(path.join(s.work, 'sessions'));
    expect(sessions).to.have.lengthOf(1);
    return path.join(s.work, 'sessions', sessions[0] ?? '', 'index.db');
  };
  const slaveIndex = (): string => path.join(s.slave, '.georep', 'index.db');

  it("the master's session index garbled in the middle: the next sync quarantines it, rebuilds and converges", async function () {
    await syncOk();
    const file = sessionIndex();
    const kept = ['bulk', 'bulk/dir-0', 'nested/a'].map((d) => fs.lstatSync(path.join(s.slave, d)).ino);
    garbleMiddle(file);
    mutate(s.master, CHANGES);
    const log = path.join(s.tmp, 'run.log');
    await syncOk(log);
    assertTreesEqual(s.master, s.slave);
    // The rebuilt index has new gfids: the slave adopted what it held by name, rather than
    // removing every directory its old gfids named (with all below) and receiving it again.
    const after = ['bulk', 'bulk/dir-0', 'nested/a'].map((d) => fs.lstatSync(path.join(s.slave, d)).ino);
    expect(after, 'slave directories kept').to.deep.equal(kept);
    const aside = quarantinedBeside(file);
    expect(aside, 'one quarantined file with a timestamp').to.have.lengthOf(1);
    const named = logEvents(log, 'state_quarantined');
    expect(named).to.have.lengthOf(1);
    expect(named[0]).to.include({ path: file, quarantined: aside[0] });
    // Rebuilt: the next run is a clean re-run.
    await syncOk();
    assertTreesEqual(s.master, s.slave);
    expect(quarantinedBeside(file)).to.have.lengthOf(1);
  });

  it("the slave's index garbled in the middle: the next sync quarantines it, re-adopts the slave's tree and converges", async function () {
    await syncOk();
    const file = slaveIndex();
    garbleMiddle(file);
    mutate(s.master, CHANGES);
    const log = path.join(s.tmp, 'run.log');
    await syncOk(log);
    assertTreesEqual(s.master, s.slave);
    const aside = quarantinedBeside(file);
    expect(aside, 'one quarantined file with a timestamp').to.have.lengthOf(1);
    const named = logEvents(log, 'state_quarantined');
    expect(named, 'the agent event, relayed to the master log').to.have.lengthOf(1);
    expect(named[0]).to.include({ path: file, quarantined: aside[0] });
    await syncOk();
    assertTreesEqual(s.master, s.slave);
  });

  it("the slave's index out of step with itself (met mid-run): that sync fails in one line, the next one quarantines and converges", async function () {
    await syncOk();
    const file = slaveIndex();
    // Every entry of names_by_gfid under bulk/dir-2 gets its gfid's last digit changed, in the
    // index only: quick_check sees nothing, removing such a name meets SQLITE_CORRUPT_INDEX.
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const indexPages = db.prepare("SELECT pageno FROM dbstat WHERE name = 'names_by_gfid'").pluck().all().map(Number);
    db.close();
    expect(indexPages.length).to.be.above(0);
    const bytes = fs.readFileSync(file);
    const victims = fs.readdirSync(path.join(s.master, 'bulk', 'dir-2')).slice(0, 5);
    const gfids = gfidsOf(file, victims);
    let damaged = 0;
    for (const p of indexPages) {
      const page = bytes.subarray((p - 1) * 4096, p * 4096);
      for (const g of gfids) {
        const at = page.indexOf(g);
        if (at < 0) continue;
        page.write(g.endsWith('f') ? 'e' : 'f', at + 35);
        damaged++;
      }
    }
    expect(damaged, 'index cells damaged').to.be.above(0);
    fs.writeFileSync(file, bytes);
    for (const v of victims) fs.rmSync(path.join(s.master, 'bulk', 'dir-2', v));

    const r = await s.expectExit(EXIT.syncFailed, syncArgs());
    const lines = r.stderr.trimEnd().split('\n');
    const last = lines.at(-1) ?? '';
    expect(last, describeRun(syncArgs(), r)).to.match(
      /^georep: slave index .*index\.db is corrupt \(SQLITE_CORRUPT_INDEX/,
    );
    expect(fs.existsSync(`${file}.condemned`)).to.equal(true);

    const log = path.join(s.tmp, 'run.log');
    await syncOk(log);
    assertTreesEqual(s.master, s.slave);
    expect(quarantinedBeside(file)).to.have.lengthOf(1);
    expect(logEvents(log, 'state_quarantined')).to.have.lengthOf(1);
  });
});

/** The gfids the slave index holds for these names (any parent). */
function gfidsOf(file: string, names: readonly string[]): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const q = db.prepare('SELECT gfid FROM names WHERE name = ?').pluck();
    return names.flatMap((n) => q.all(Buffer.from(n)).map(String));
  } finally {
    db.close();
  }
}

describe('e2e: corrupt state is never fatal, live daemon', function () {
  this.timeout(240_000);
  let s: LiveSession;
  beforeEach(function () {
    s = new LiveSession('georep-e2e-corrupt-live-');
    buildTree(s.master);
  });
  afterEach(async function () {
    await s.cleanup(false);
  });

  async function until(what: string, ok: () => boolean, limitMs = 90_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  /** The trees are equal now; false while the daemon moves entries under the walk. */
  const converged = (): boolean => {
    try {
      return fs.existsSync(s.slave) && compareTrees(s.master, s.slave).length === 0;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  };

  it('both indexes garbled in the middle while stopped: start quarantines both, the session comes back and converges', async function () {
    await s.start();
    await until('the first sync', converged);
    await s.stop();
    const dir = s.sessionDir() ?? '';
    const masterIndex = path.join(dir, 'index.db');
    const slaveIndex = path.join(s.slave, '.georep', 'index.db');
    garbleMiddle(masterIndex);
    garbleMiddle(slaveIndex);
    mutate(s.master, CHANGES);

    await s.start();
    await until('convergence after the rebuild', converged).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${formatDifferences(compareTrees(s.master, s.slave))}`);
    });
    // The rebuilt session goes on replicating.
    fs.writeFileSync(path.join(s.master, 'bulk', 'dir-0', 'written after the rebuild'), 'live\n');
    await until('a change made after the rebuild', converged);
    assertTreesEqual(s.master, s.slave);

    for (const file of [masterIndex, slaveIndex]) {
      const aside = quarantinedBeside(file);
      expect(aside, `${file} quarantined once`).to.have.lengthOf(1);
      const named = logEvents(s.logPath(), 'state_quarantined').filter((e) => e['path'] === file);
      expect(named, `the event naming ${file}`).to.have.lengthOf(1);
      expect(named[0]?.['quarantined']).to.equal(aside[0]);
    }
  });

  it('the session index garbled while running: the restarted worker quarantines it, the recorder follows, the session converges', async function () {
    await s.start();
    await until('the first sync', converged);
    const dir = s.sessionDir() ?? '';
    const masterIndex = path.join(dir, 'index.db');
    garbleMiddle(masterIndex);
    mutate(s.master, CHANGES);
    // The worker's next open is the one that finds the damage (unless a running process meets
    // it first, which condemns the file: the same quarantine follows).
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
      children?: Record<string, number>;
    };
    const worker = state.children?.['worker'];
    expect(worker).to.be.a('number');
    process.kill(worker ?? 0, 'SIGKILL');
    await until('convergence after the rebuild', converged).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${formatDifferences(compareTrees(s.master, s.slave))}`);
    });
    fs.writeFileSync(path.join(s.master, 'bulk', 'dir-0', 'written after the rebuild'), 'live\n');
    await until('a change made after the rebuild', converged);
    assertTreesEqual(s.master, s.slave);
    const aside = quarantinedBeside(masterIndex);
    expect(aside, 'quarantined once').to.have.lengthOf(1);
    const named = logEvents(s.logPath(), 'state_quarantined');
    expect(named.map((e) => e['quarantined'])).to.deep.equal(aside);
  });
});
