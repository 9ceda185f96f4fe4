// buildMaster's variants against ONE shared changelog: a real master tree whose changes the real
// recorder published (creates with data and a user xattr, then in a later changelog a rename, a
// delete, a chmod and a hard link), and a real slave agent (in-process) on a fresh slave for
// each variant. Each variant's slave is compared with the master by an independent walk, and
// the test asserts exactly the difference its axes make, so a mixin wired to the wrong axis, or
// not at all, shows in the tree and not only in a constant.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogConsumer } from '../../src/changelog/consumer.js';
import { listChangelogs, readChangelog } from '../../src/changelog/index.js';
import type { Change } from '../../src/changelog/index.js';
import { Recorder } from '../../src/changelog/recorder/recorder.js';
import { createChangeSource } from '../../src/changelog/watch/create-change-source.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { buildMaster } from '../../src/master/builder.js';
import type { DetectMode, MasterChoice, PurgeMode, SendmarkMode } from '../../src/master/builder.js';
import type { MasterDeps } from '../../src/master/master-deps.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { SyncMethod, SyncMode } from '../../src/config.js';
import { AgentSlave } from '../support/agent-slave.js';
import { ManualClock } from '../support/manual-clock.js';
import { compareTrees } from '../support/tree-compare.js';
import type { Difference } from '../support/tree-compare.js';

const cfg = resolveConfig([{ source: 'the test', values: { 'sync-jobs': 1 } }]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const XATTR = 'user.georep-test';

/** The names each changelog phase touches (master-relative). */
const TREE = {
  dir: 'd',
  renamedFrom: 'd/a',
  renamedTo: 'd/a2',
  deleted: 'gone',
  chmodded: 'b',
  link: 'd/b-link',
  /** On the slave only, put there by a slave user: a full crawl purges it unless partial. */
  slaveOnly: 'extra',
};

interface Shared {
  readonly tmp: string;
  readonly master: string;
  /** The recorder's index and published changelogs, copied for each variant. */
  readonly indexFile: string;
  readonly changelogs: string;
}

/** A real recorder on a fresh master tree, publishing changelogs until stop(). */
interface LiveRecorder {
  readonly tmp: string;
  readonly master: string;
  readonly indexFile: string;
  readonly changelogs: string;
  /** Waits until the published records' fops (E records; 'META' for M) satisfy `ok`. */
  until(what: string, ok: (fops: string[]) => boolean): Promise<void>;
  stop(): Promise<void>;
}

async function startRecorder(): Promise<LiveRecorder> {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-variants-')));
  const master = path.join(tmp, 'master');
  const changelogs = path.join(tmp, 'changelogs');
  const indexFile = path.join(tmp, 'index.db');
  fs.mkdirSync(master);
  fs.mkdirSync(changelogs);
  const index = SqliteGfidIndex.open(indexFile);
  const rec = new Recorder({
    rootPath: master,
    root: Buffer.from(master),
    index,
    changelogDir: changelogs,
    source: createChangeSource('inotify', {
      root: master,
      usePolling: false,
      pollIntervalMs: 100,
      cookieDir: path.join(tmp, 'cookies'),
      cookieTimeoutMs: 5000,
    }),
    clock: systemClock,
    log: silentLogger(),
    intervalMs: 100,
    settleMs: 0,
    crawlRate: 0,
    reconcileIntervalMs: 0,
  });
  const ac = new AbortController();
  const running = rec.run(ac.signal);
  // Every record published so far, including changelogs a turn consumed since.
  const seen: string[] = [];
  const taken = new Set<string>();
  const fops = (): string[] => {
    for (const f of listChangelogs(changelogs, 'CHANGELOG')) {
      if (taken.has(f.path)) continue;
      taken.add(f.path);
      for (const c of readChangelog(f.path) as Change[])
        if (c.kind === 'E') seen.push(c.fop);
        else if (c.kind === 'M') seen.push('META');
    }
    return seen;
  };
  const consumer = new ChangelogConsumer(changelogs, index);
  while (consumer.historyStartMs() === undefined) await sleep(20);
  return {
    tmp,
    master,
    indexFile,
    changelogs,
    async until(what, ok) {
      const deadline = Date.now() + 10_000;
      while (!ok(fops()) && Date.now() < deadline) await sleep(30);
      if (!ok(fops())) throw new Error(`the recorder did not publish ${what}: ${fops().join(' ')}`);
      await sleep(250); // a rollover: what comes next goes in a later changelog
    },
    async stop() {
      ac.abort();
      await running;
      index.close();
    },
  };
}

const m = (rec: LiveRecorder, rel: string): string => path.join(rec.master, rel);

/** Phase 1: a directory, three files with data, a user xattr. */
async function phase1(rec: LiveRecorder): Promise<void> {
  fs.mkdirSync(m(rec, TREE.dir));
  fs.writeFileSync(m(rec, TREE.renamedFrom), 'a content');
  fs.writeFileSync(m(rec, TREE.chmodded), 'b content');
  execFileSync('setfattr', ['-n', XATTR, '-v', 'on-b', m(rec, TREE.chmodded)]);
  fs.writeFileSync(m(rec, TREE.deleted), 'deleted later');
  await rec.until('the creates', (f) => f.filter((x) => x === 'CREATE').length === 3 && f.includes('MKDIR'));
}

/** Phase 2, in later changelogs: a rename, a delete, a chmod, a hard link. */
async function phase2(rec: LiveRecorder): Promise<void> {
  fs.renameSync(m(rec, TREE.renamedFrom), m(rec, TREE.renamedTo));
  fs.unlinkSync(m(rec, TREE.deleted));
  fs.chmodSync(m(rec, TREE.chmodded), 0o600);
  fs.linkSync(m(rec, TREE.chmodded), m(rec, TREE.link));
  await rec.until('the rename, delete, chmod and link', (f) =>
    ['RENAME', 'UNLINK', 'LINK'].every((x) => f.includes(x)),
  );
}

/** Records both phases with the real recorder: the one changelog every variant replays. */
async function recordShared(): Promise<Shared> {
  const rec = await startRecorder();
  try {
    await phase1(rec);
    await phase2(rec);
  } finally {
    await rec.stop();
  }
  return rec;
}

interface Outcome {
  /** The slave against the master, by an independent walk (.georep not compared). */
  readonly diffs: readonly string[];
  /** The user xattr of the chmodded file on the slave, if any. */
  readonly xattr: string | undefined;
  readonly crawlStatus: string;
  /** The basis flags of the variant's stageData calls: the engine's delta basis, or none. */
  readonly basis: readonly (boolean | undefined)[];
}

const show = (d: Difference): string => `${d.what} ${d.path}`;

function xattrOf(file: string): string | undefined {
  try {
    return execFileSync('getfattr', ['--only-values', '-n', XATTR, file], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined; // no such attribute
  }
}

/** Where a variant's turns run: the master tree, its index and changelogs, and the slave. */
interface Site {
  readonly master: string;
  readonly dir: string;
  readonly index: SqliteGfidIndex;
  readonly changelogs: string;
  readonly slave: AgentSlave;
}

/** One turn of variant `c`; returns the crawl status it showed. */
async function turn(site: Site, c: MasterChoice): Promise<string> {
  const master = new (buildMaster(c))();
  const deps: MasterDeps = {
    rootPath: site.master,
    root: Buffer.from(site.master),
    index: site.index,
    slave: site.slave,
    ownsNames: false,
    log: silentLogger(),
    clock: new ManualClock(),
    xsyncDir: site.dir,
    statsFile: path.join(site.dir, 'status.json'),
    stagingDir: site.slave.staging,
    slaveIsRoot: process.getuid?.() === 0,
    // A fresh slave: nothing is known of it, so the full crawl purges what the master never had.
    fullCrawl: c.detect === 'xsync',
    consumer: new ChangelogConsumer(site.changelogs, site.index),
    crawl: cfg,
    syncer: { ...cfg, syncMethod: c.engine },
    onSkip: () => undefined,
  };
  master.start(deps);
  await master.run(1);
  await master.stop();
  expect(
    master.stats.failures.map((f) => f.code),
    'failures of the turn',
  ).to.deep.equal([]);
  return master.stats.crawlStatus ?? '';
}

/** The slave against the master, by an independent walk (.georep not compared). */
const diffsOf = (site: Site): string[] =>
  compareTrees(site.master, site.slave.root, { owners: false }).map(show).sort();

/** Runs variant `c` on a fresh slave, from a copy of the shared index and changelogs. */
async function runVariant(shared: Shared, c: MasterChoice, damage?: (slaveRoot: string) => void): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(shared.tmp, 'variant-'));
  const indexFile = path.join(dir, 'index.db');
  const changelogs = path.join(dir, 'changelogs');
  fs.copyFileSync(shared.indexFile, indexFile);
  fs.cpSync(shared.changelogs, changelogs, { recursive: true });
  const slave = await AgentSlave.start(path.join(dir, 'slave'));
  fs.writeFileSync(path.join(slave.root, TREE.slaveOnly), 'a slave user put this here');
  const site: Site = { master: shared.master, dir, index: SqliteGfidIndex.open(indexFile), changelogs, slave };
  try {
    let crawlStatus = await turn(site, c);
    if (damage !== undefined) {
      damage(slave.root);
      crawlStatus = await turn(site, c);
    }
    return {
      diffs: diffsOf(site),
      xattr: xattrOf(path.join(slave.root, TREE.chmodded)),
      crawlStatus,
      basis: [...new Set(slave.calls.filter((x) => x.method === 'stageData').map((x) => x.basis))],
    };
  } finally {
    site.index.close();
    await slave.close();
  }
}

const DETECTS: readonly DetectMode[] = ['xsync', 'history', 'changelog'];
const MODES: readonly SyncMode[] = ['normal', 'partial', 'recover'];
const SENDMARKS: readonly SendmarkMode[] = ['normal', 'rsync'];
const PURGES: readonly PurgeMode[] = ['normal', 'noop'];
const ENGINES: readonly SyncMethod[] = ['rsync', 'tarssh'];

/**
 * The variants run: every pair of axis values together at least once (9 rows, each detection
 * with each mode), ~3 s; GEOREP_ALL_VARIANTS=1 runs all 72 (~22 s), too slow for every CI run.
 */
const ALL_VARIANTS = process.env['GEOREP_ALL_VARIANTS'] === '1';
const PAIRWISE: readonly (readonly [number, number, number, number, number])[] = [
  [0, 0, 1, 1, 0],
  [0, 1, 0, 1, 1],
  [0, 2, 0, 0, 0],
  [1, 0, 0, 0, 0],
  [1, 1, 1, 0, 0],
  [1, 2, 1, 1, 1],
  [2, 0, 0, 0, 1],
  [2, 1, 1, 0, 0],
  [2, 2, 0, 1, 0],
];
function variants(): MasterChoice[] {
  const pick = <T>(xs: readonly T[], i: number): T => xs[i] as T; // indices above are in range
  if (!ALL_VARIANTS)
    return PAIRWISE.map(([d, m, s, p, e]) => ({
      detect: pick(DETECTS, d),
      mode: pick(MODES, m),
      sendmark: pick(SENDMARKS, s),
      purge: pick(PURGES, p),
      engine: pick(ENGINES, e),
    }));
  return DETECTS.flatMap((detect) =>
    MODES.flatMap((mode) =>
      SENDMARKS.flatMap((sendmark) =>
        PURGES.flatMap((purge) => ENGINES.map((engine) => ({ detect, mode, sendmark, purge, engine }))),
      ),
    ),
  );
}

/**
 * What a variant's slave differs from the master in, by its axes. Changelog detection
 * (history, changelog) replays the records against the tree as it is now (a file created and
 * deleted before the turn never reaches the slave, with or without purge: see the purge test
 * below) and never purges unknown entries, so the slave-only file stays. Xsync crawls the tree
 * as it is now, and the full crawl purges the slave-only file unless the
 * mode is partial or deletes are ignored (purge noop). The engine and the sendmark change
 * nothing the walk compares (the sendmark is seen in the xattr, below).
 */
function expectedDiffs(c: MasterChoice): string[] {
  const diffs: string[] = [];
  if (c.detect !== 'xsync' || c.mode === 'partial' || c.purge === 'noop') diffs.push(`extra ${TREE.slaveOnly}`);
  return diffs.sort();
}

describe('buildMaster variants on one shared changelog (real recorder, real agent)', function () {
  this.timeout(120_000);
  let shared: Shared;
  before(async () => {
    shared = await recordShared();
  });
  after(() => fs.rmSync(shared.tmp, { recursive: true, force: true }));

  const base: MasterChoice = {
    detect: 'changelog',
    mode: 'normal',
    sendmark: 'normal',
    purge: 'normal',
    engine: 'rsync',
  };

  it('every variant lands the shared changes, differing from the master exactly as its axes say', async () => {
    const seen: string[] = [];
    for (const c of variants()) {
      const name = JSON.stringify(c);
      const got = await runVariant(shared, c);
      expect(got.diffs, name).to.deep.equal(expectedDiffs(c));
      // Sendmark rsync carries user xattrs on regular files (-X); normal does not.
      expect(got.xattr, name).to.equal(c.sendmark === 'rsync' ? 'on-b' : undefined);
      // Rsync stages the slave's file as a delta basis; tarssh sends whole files.
      expect(got.basis, name).to.deep.equal([c.engine === 'rsync']);
      expect(got.crawlStatus, name).to.equal(
        { xsync: 'Hybrid Crawl', history: 'History Crawl', changelog: 'Changelog Crawl' }[c.detect],
      );
      seen.push(name);
    }
    expect(seen).to.have.length(ALL_VARIANTS ? 72 : 9);
  });

  it('recover verifies every entry again: a file a slave user removed comes back; normal trusts the index', async () => {
    const removeRenamed = (slaveRoot: string): void => fs.rmSync(path.join(slaveRoot, TREE.renamedTo));
    for (const mode of MODES) {
      const got = await runVariant(shared, { ...base, detect: 'xsync', mode }, removeRenamed);
      // The removal also changed its directory's mtime on the slave: normal and partial leave that too.
      const lost = mode === 'recover' ? [] : [`missing ${TREE.renamedTo}`, `mtime ${TREE.dir}`];
      const kept = mode === 'partial' ? [`extra ${TREE.slaveOnly}`] : [];
      expect(got.diffs, mode).to.deep.equal([...lost, ...kept].sort());
    }
  });

  it('purge: a delete the slave had synced propagates with purge normal; ignore-deletes (noop) keeps the file', async () => {
    const got: Record<string, string[]> = {};
    for (const purge of PURGES) {
      // The delete must come after a turn landed the file: this variant watches the master live.
      const rec = await startRecorder();
      const slave = await AgentSlave.start(path.join(rec.tmp, 'slave'));
      const index = SqliteGfidIndex.open(rec.indexFile); // the worker's own handle, as in the daemon
      const site: Site = { master: rec.master, dir: rec.tmp, index, changelogs: rec.changelogs, slave };
      try {
        await phase1(rec);
        await turn(site, { ...base, purge });
        expect(diffsOf(site), `${purge}: after phase 1`).to.deep.equal([]);
        await phase2(rec);
        await turn(site, { ...base, purge });
        got[purge] = diffsOf(site);
      } finally {
        index.close();
        await slave.close();
        await rec.stop();
        fs.rmSync(rec.tmp, { recursive: true, force: true });
      }
    }
    expect(got).to.deep.equal({ normal: [], noop: [`extra ${TREE.deleted}`] });
  });
});
