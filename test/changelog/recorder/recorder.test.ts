// Recorder on a real tree with a real watcher: the first start builds the index silently and
// starts the history; later changes come out as published CHANGELOG files whose records parse;
// a restart records what changed while it was down; a crash after publishing only repeats.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { systemClock } from '../../../src/clock.js';
import { ManualClock } from '../../support/manual-clock.js';
import { ROOT_GFID, listChangelogs, readChangelog } from '../../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../../src/store/index.js';
import type { Change, Gfid } from '../../../src/changelog/index.js';
import { ChangelogConsumer } from '../../../src/changelog/consumer.js';
import { RECORDER_KEYS, Recorder } from '../../../src/changelog/recorder/recorder.js';
import type { RecorderDeps } from '../../../src/changelog/recorder/recorder.js';
import { createChangeSource } from '../../../src/changelog/watch/create-change-source.js';
import type { WatcherKind } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import type { Logger } from '../../../src/log.js';
import { resolveConfig } from '../../../src/cli/config-loader.js';
import { loadSchema } from '../../../src/cli/options.js';

/** How far behind the wall clock a file's mtime may be (one kernel tick, with room to spare). */
const COARSE_CLOCK_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Recorder (real watcher)', function () {
  this.timeout(20_000);
  let tmp: string;
  let root: string;
  let dir: string;
  let index: SqliteGfidIndex;

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-rec-')));
    root = path.join(tmp, 'master');
    dir = path.join(tmp, 'changelogs');
    fs.mkdirSync(root);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(root, 'old'), 'old');
    index = SqliteGfidIndex.open(path.join(tmp, 'index.db'));
  });
  afterEach(() => {
    index.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function recorder(kind: WatcherKind = 'inotify', over: Partial<RecorderDeps> = {}): Recorder {
    return new Recorder({
      rootPath: root,
      root: Buffer.from(root),
      index,
      changelogDir: dir,
      source: createChangeSource(kind, {
        root,
        usePolling: false,
        pollIntervalMs: 100,
        cookieDir: path.join(tmp, 'cookies'),
        cookieTimeoutMs: 5000,
      }),
      clock: systemClock,
      log: silentLogger(),
      intervalMs: 200,
      settleMs: 0,
      crawlRate: 0,
      reconcileIntervalMs: 0,
      blindGapMs: 0,
      ...over,
    });
  }

  /** Runs a recorder until `until` holds for the published records (or times out). */
  async function recordUntil(rec: Recorder, act: () => void, until: (records: Change[]) => boolean): Promise<Change[]> {
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    const consumer = new ChangelogConsumer(dir, index);
    while (consumer.historyStartMs() === undefined) await sleep(20);
    act();
    const deadline = Date.now() + 10_000;
    let records: Change[] = [];
    while (Date.now() < deadline) {
      records = listChangelogs(dir, 'CHANGELOG').flatMap((f) => readChangelog(f.path));
      if (until(records)) break;
      await sleep(50);
    }
    ac.abort();
    await running;
    return records;
  }

  const fops = (cs: Change[]): string[] => cs.flatMap((c) => (c.kind === 'E' ? [c.fop] : []));

  for (const kind of ['inotify', 'parcel', 'chokidar'] as const) {
    it(`${kind}: builds silently, then publishes what changes`, async () => {
      const got = await recordUntil(
        recorder(kind),
        () => {
          fs.writeFileSync(path.join(root, 'new'), 'new');
          fs.renameSync(path.join(root, 'old'), path.join(root, 'renamed'));
        },
        (rs) => fops(rs).includes('CREATE') && fops(rs).includes('RENAME'),
      );
      expect(fops(got)).to.have.members(['CREATE', 'RENAME']);
      expect(index.getMeta(RECORDER_KEYS.historyStart)).to.be.a('string');
      expect(Number(index.getMeta(RECORDER_KEYS.recordedUpTo))).to.be.greaterThan(0);
      expect(index.journalRead().lines).to.deep.equal([]);
    });
  }

  for (const kind of ['inotify', 'parcel'] as const) {
    it(`${kind}: still records inside a renamed directory and a directory tree made at once`, async () => {
      fs.mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
      const rec = recorder(kind);
      const ac = new AbortController();
      const running = rec.run(ac.signal);
      const consumer = new ChangelogConsumer(dir, index);
      while (consumer.historyStartMs() === undefined) await sleep(20);
      const all = (): Change[] => listChangelogs(dir, 'CHANGELOG').flatMap((f) => readChangelog(f.path));
      const waitFor = async (what: string, ok: (rs: Change[]) => boolean): Promise<void> => {
        const deadline = Date.now() + 10_000;
        while (!ok(all()) && Date.now() < deadline) await sleep(50);
        expect(ok(all()), what).to.equal(true);
      };
      try {
        // @parcel/watcher reports later events below a renamed directory under the old path,
        // and never watches subdirectories made before their parent's watch.
        fs.renameSync(path.join(root, 'd'), path.join(root, 'e'));
        fs.mkdirSync(path.join(root, 'a', 'b', 'c'), { recursive: true });
        await waitFor('the rename and the new tree', (rs) => fops(rs).includes('RENAME') && fops(rs).includes('MKDIR'));
        await sleep(600); // a rollover or two: the recorder watches afresh
        const creates = (): number => fops(all()).filter((f) => f === 'CREATE').length;
        const before = creates();
        fs.writeFileSync(path.join(root, 'e', 'sub', 'late'), 'late');
        fs.writeFileSync(path.join(root, 'a', 'b', 'c', 'late'), 'late');
        await waitFor('both late files', () => creates() === before + 2);
      } finally {
        ac.abort();
        await running;
      }
    });
  }

  it('rolls over at a quiet moment after changes, well before the next change-interval tick', async () => {
    const rec = recorder('inotify', { intervalMs: 6000, quietMs: 50 });
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    const consumer = new ChangelogConsumer(dir, index);
    while (consumer.historyStartMs() === undefined) await sleep(20);
    await sleep(300); // past the first tick after the start-up reconcile
    const lags: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        fs.writeFileSync(path.join(root, `quick${i}`), 'q');
        while (!listChangelogs(dir, 'CHANGELOG').some((f) => readChangelog(f.path).some((c) => c.kind === 'D')))
          await sleep(10);
        lags.push(Date.now() - t0);
        for (const f of listChangelogs(dir, 'CHANGELOG')) consumer.done(f);
      }
    } finally {
      ac.abort();
      await running;
    }
    // Each would wait for the 6 s tick without the quiet-moment rollover.
    expect(Math.max(...lags), `lags ${lags.join(', ')} ms`).to.be.lessThan(1500);
  });

  it('sends a file written through a new hard link that another file was renamed over before the recorder looked', async () => {
    // Seeded random live test (seed 853): ln old sub/link; append sub/link; mv sub/other
    // sub/link. No hint names old, whose content changed: the look finds sub/other's file at
    // sub/link, and a whole-tree reconcile (asked for by that look) finds old's new content.
    fs.mkdirSync(path.join(root, 'sub'));
    fs.writeFileSync(path.join(root, 'sub', 'other'), 'other');
    const oldGfid = (): string | undefined => index.lookup(ROOT_GFID, Buffer.from('old'))?.gfid;
    const got = await recordUntil(
      recorder(),
      () => {
        // One JS turn: the recorder (same process) cannot look in between.
        fs.linkSync(path.join(root, 'old'), path.join(root, 'sub', 'link'));
        fs.appendFileSync(path.join(root, 'sub', 'link'), ' and more');
        fs.renameSync(path.join(root, 'sub', 'other'), path.join(root, 'sub', 'link'));
      },
      (rs) => rs.some((c) => c.kind === 'D' && c.gfid === oldGfid()),
    );
    expect(fops(got)).to.include('RENAME');
    expect(got.filter((c) => c.kind === 'D').map((c) => c.gfid)).to.include(oldGfid());
  });

  it('sends a file written through a new hard link removed again before the recorder looked', async () => {
    // ln old sub/n; append sub/n; rm sub/n in one JS turn: the watcher's lstat at sub/n's create
    // finds nothing, so nothing tells which inode the write went to; the look finds nothing at
    // sub/n, which the index never knew, and asks for a whole-tree reconcile, which finds old's
    // new content. On the old code no record ever names old (no D for old in 10 s).
    fs.mkdirSync(path.join(root, 'sub'));
    const oldGfid = (): string | undefined => index.lookup(ROOT_GFID, Buffer.from('old'))?.gfid;
    const got = await recordUntil(
      recorder(),
      () => {
        fs.linkSync(path.join(root, 'old'), path.join(root, 'sub', 'n'));
        fs.appendFileSync(path.join(root, 'sub', 'n'), ' and more');
        fs.rmSync(path.join(root, 'sub', 'n'));
      },
      (rs) => rs.some((c) => c.kind === 'D' && c.gfid === oldGfid()),
    );
    expect(got.filter((c) => c.kind === 'D').map((c) => c.gfid)).to.include(oldGfid());
  });

  it('sends a file written through a new hard link removed again before the recorder looked, by the inode the watcher saw, without a reconcile', async () => {
    // The same with the link's create reported (and lstat'd) before the write and the removal,
    // all between two looks: the inode the watcher found at sub/n names old, which is looked at
    // where it is. On the old code no record ever names old (no D for old in 10 s).
    fs.mkdirSync(path.join(root, 'sub'));
    const oldGfid = (): string | undefined => index.lookup(ROOT_GFID, Buffer.from('old'))?.gfid;
    const warnings: string[] = [];
    const log = { ...silentLogger(), warn: (m: string) => void warnings.push(m) };
    let rolled: (() => void) | undefined;
    const rec = recorder('inotify', { intervalMs: 1000, log, onRollover: () => rolled?.() });
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    const all = (): Change[] => listChangelogs(dir, 'CHANGELOG').flatMap((f) => readChangelog(f.path));
    try {
      // Right after a rollover: the next look is a second away.
      await new Promise<void>((resolve) => (rolled = resolve));
      rolled = undefined;
      fs.linkSync(path.join(root, 'old'), path.join(root, 'sub', 'n'));
      await sleep(30); // the watcher reports the create and lstats sub/n
      fs.appendFileSync(path.join(root, 'sub', 'n'), ' and more');
      fs.rmSync(path.join(root, 'sub', 'n'));
      const deadline = Date.now() + 10_000;
      while (!all().some((c) => c.kind === 'D' && c.gfid === oldGfid()) && Date.now() < deadline) await sleep(50);
    } finally {
      ac.abort();
      await running;
    }
    const got = all();
    expect(fops(got)).to.deep.equal([]);
    expect(got.filter((c) => c.kind === 'D').map((c) => c.gfid)).to.deep.equal([oldGfid()]);
    expect(warnings).to.deep.equal([]);
  });

  /** Rewrites `p` with other bytes of its size, and puts its mtime (whole seconds) back. */
  const rewriteKeepingMtime = (p: string, mtimeSec: number): void => {
    const data = fs.readFileSync(p);
    for (let i = 0; i < data.length; i++) data[i] = 0xff - (data[i] ?? 0);
    fs.writeFileSync(p, data);
    fs.utimesSync(p, mtimeSec, mtimeSec);
  };

  /**
   * A write through a passing hard link, in steps a test may space out: setUp() makes sub/ and
   * puts old's mtime at MTIME; link() is `ln old sub/n` and returns old's gfid (whose data must
   * follow); writeAndUnlink() rewrites sub/n keeping its size and mtime, then removes it;
   * moveAway() is `mv old renamed`; and expectSent() checks that the rename and old's data
   * were both recorded.
   */
  const MTIME = 1_700_000_000;
  const passing = {
    setUp: (): void => {
      fs.mkdirSync(path.join(root, 'sub'));
      fs.utimesSync(path.join(root, 'old'), MTIME, MTIME);
    },
    link: (): string | undefined => {
      const gfid = index.lookup(ROOT_GFID, Buffer.from('old'))?.gfid;
      fs.linkSync(path.join(root, 'old'), path.join(root, 'sub', 'n'));
      return gfid;
    },
    writeAndUnlink: (): void => {
      rewriteKeepingMtime(path.join(root, 'sub', 'n'), MTIME);
      fs.rmSync(path.join(root, 'sub', 'n'));
    },
    moveAway: (): void => fs.renameSync(path.join(root, 'old'), path.join(root, 'renamed')),
    expectSent: (got: Change[], gfid: string | undefined): void => {
      expect(fops(got)).to.include('RENAME');
      expect(got.filter((c) => c.kind === 'D').map((c) => c.gfid)).to.include(gfid);
    },
  };

  /**
   * Runs `rec` through `act` (which returns the gfid whose data must follow) until a D record
   * for that gfid is published or `waitMs` passed; then every record published, and the gfid.
   */
  async function dataAfter(
    rec: Recorder,
    act: () => Promise<string | undefined>,
    waitMs: number,
  ): Promise<{ got: Change[]; gfid: string | undefined }> {
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    const all = (): Change[] => listChangelogs(dir, 'CHANGELOG').flatMap((f) => readChangelog(f.path));
    let gfid: string | undefined;
    try {
      gfid = await act();
      const deadline = Date.now() + waitMs;
      while (!all().some((c) => c.kind === 'D' && c.gfid === gfid) && Date.now() < deadline) await sleep(50);
    } finally {
      ac.abort();
      await running;
    }
    return { got: all(), gfid };
  }

  it('sends a file written blind through a passing hard link, with its size and mtime put back, though the same look saw the file renamed', async () => {
    // ln old sub/n; rewrite sub/n keeping size and mtime; rm sub/n; mv old renamed, in one JS
    // turn: the write is blind. The look records the rename (a moved file's ctime move is no
    // write by itself); the sweep that answers the blind write must still find old's content.
    passing.setUp();
    let gfid: string | undefined;
    const got = await recordUntil(
      recorder(),
      () => {
        gfid = passing.link();
        passing.writeAndUnlink();
        passing.moveAway();
      },
      (rs) => rs.some((c) => c.kind === 'D' && c.gfid === gfid),
    );
    passing.expectSent(got, gfid);
  });

  it('sends a file written through a passing hard link the watcher saw, with its size and mtime put back, though the same look saw the file renamed', async () => {
    // As above, but the watcher lstats sub/n before the write (placed by inode, no reconcile).
    passing.setUp();
    let rolled: (() => void) | undefined;
    const rec = recorder('inotify', { intervalMs: 1000, onRollover: () => rolled?.() });
    const { got, gfid } = await dataAfter(
      rec,
      async () => {
        await new Promise<void>((resolve) => (rolled = resolve));
        rolled = undefined;
        const g = passing.link();
        await sleep(30); // the watcher reports the create and lstats sub/n
        passing.writeAndUnlink();
        passing.moveAway();
        return g;
      },
      4000,
    );
    passing.expectSent(got, gfid);
  });

  it('sends a file written blind with its size and mtime put back and renamed by a later look, before the paced sweep', async () => {
    // The blind write waits for its sweep (blindGapMs); a look meanwhile records the file's
    // rename and its new ctime, so the sweep must not be what finds the write.
    passing.setUp();
    const { got, gfid } = await dataAfter(
      recorder('inotify', { intervalMs: 100, blindGapMs: 1200 }),
      async () => {
        const consumer = new ChangelogConsumer(dir, index);
        while (consumer.historyStartMs() === undefined) await sleep(20);
        const g = passing.link();
        passing.writeAndUnlink();
        await sleep(300); // looks go by; the sweep waits for the gap
        passing.moveAway();
        return g;
      },
      3000,
    );
    passing.expectSent(got, gfid);
  });

  it('still runs the whole-tree reconcile every reconcile-interval while blind writes keep asking for sweeps', async () => {
    // A sweep looks only at names whose ctime moved: it is no whole-tree reconcile, and must
    // not put off the one reconcile-interval asks for (what a watcher dropped without a word).
    fs.mkdirSync(path.join(root, 'sub'));
    const whys: unknown[] = [];
    const log = {
      ...silentLogger(),
      info: (m: string, f?: Record<string, unknown>) => {
        if (m.startsWith('reconciling')) whys.push(f?.['why']);
      },
    };
    const rec = recorder('inotify', { intervalMs: 100, reconcileIntervalMs: 500, log });
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    try {
      const consumer = new ChangelogConsumer(dir, index);
      while (consumer.historyStartMs() === undefined) await sleep(20);
      for (let i = 0; i < 12; i++) {
        // A blind write each look (the watcher's lstat finds the link gone): a sweep each look.
        const link = path.join(root, 'sub', `n${i}`);
        fs.linkSync(path.join(root, 'old'), link);
        fs.appendFileSync(link, '.');
        fs.rmSync(link);
        await sleep(100);
      }
    } finally {
      ac.abort();
      await running;
    }
    expect(whys).to.include('interval');
  });

  it('paces the reconcile a blind write asks for, and vouches for nothing until it has run', async () => {
    fs.mkdirSync(path.join(root, 'sub'));
    const oldGfid = (): string | undefined => index.lookup(ROOT_GFID, Buffer.from('old'))?.gfid;
    let actMs = Infinity;
    let sentMs: number | undefined;
    const heldVouches: number[] = []; // recorded-up-to of each rollover after the act, until old's D
    const rec = recorder('inotify', {
      intervalMs: 100,
      blindGapMs: 700,
      onRollover: (published, upToMs) => {
        if (sentMs !== undefined || Date.now() < actMs) return;
        const got = published === undefined ? [] : readChangelog(published);
        if (got.some((c) => c.kind === 'D' && c.gfid === oldGfid())) sentMs = Date.now();
        else heldVouches.push(upToMs);
      },
    });
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    try {
      const consumer = new ChangelogConsumer(dir, index);
      while (consumer.historyStartMs() === undefined) await sleep(20);
      await sleep(150); // a tick or so after the start's reconcile
      actMs = Date.now();
      fs.linkSync(path.join(root, 'old'), path.join(root, 'sub', 'n'));
      fs.appendFileSync(path.join(root, 'sub', 'n'), ' and more');
      fs.rmSync(path.join(root, 'sub', 'n'));
      const deadline = Date.now() + 5000;
      while (sentMs === undefined && Date.now() < deadline) await sleep(20);
    } finally {
      ac.abort();
      await running;
    }
    expect(sentMs, "old's D").to.be.a('number');
    // Not before the gap since the start's reconcile; the looks in between vouched for nothing.
    expect((sentMs as number) - actMs).to.be.greaterThan(300);
    expect(heldVouches.length).to.be.greaterThan(0);
    expect(heldVouches.filter((ms) => ms >= actMs)).to.deep.equal([]);
  });

  it('records at start what changed while it was not running, as a rename by inode', async () => {
    await recordUntil(
      recorder(),
      () => undefined,
      () => true,
    );
    const before = listChangelogs(dir, 'CHANGELOG').length;
    fs.mkdirSync(path.join(root, 'sub'));
    fs.renameSync(path.join(root, 'old'), path.join(root, 'sub', 'old'));
    const got = await recordUntil(
      recorder(),
      () => undefined,
      (rs) => fops(rs).includes('RENAME'),
    );
    expect(listChangelogs(dir, 'CHANGELOG').length).to.be.greaterThan(before);
    expect(fops(got)).to.deep.equal(['MKDIR', 'RENAME']);
  });

  /** A logger that keeps every message (the path a start took is only in the log). */
  function keptLog(): { log: Logger; lines: string[] } {
    const lines: string[] = [];
    const log: Logger = {
      error: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      info: (m) => lines.push(m),
      debug: (m) => lines.push(m),
      log: (_l, m) => lines.push(m),
      child: () => log,
    };
    return { log, lines };
  }

  /**
   * Builds the index, then records one change: the next start has a recorded-up-to time and a
   * history, so it sweeps by ctime instead of reconciling the whole tree.
   */
  async function recordedTwice(): Promise<void> {
    await recordUntil(
      recorder(),
      () => undefined,
      () => true,
    );
    await recordUntil(
      recorder(),
      () => fs.writeFileSync(path.join(root, 'later'), 'x'),
      (rs) => fops(rs).includes('CREATE'),
    );
  }

  it('restarts with a sweep from its recorded-up-to time, and finds a delete, a write, a chmod and a tree moved in from outside', async () => {
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'gone'), 'gone');
    fs.writeFileSync(path.join(root, 'd', 'kept'), 'kept');
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(path.join(outside, 'deep'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'deep', 'f'), 'old ctime'); // keeps its ctime when moved in
    fs.mkdirSync(path.join(root, 'mover'));
    fs.writeFileSync(path.join(root, 'mover', 'inside'), 'moves with its directory');
    await recordedTwice();
    fs.rmSync(path.join(root, 'd', 'gone'));
    fs.appendFileSync(path.join(root, 'old'), ' more');
    fs.chmodSync(path.join(root, 'd', 'kept'), 0o600);
    fs.renameSync(outside, path.join(root, 'd', 'moved-in'));
    fs.renameSync(path.join(root, 'mover'), path.join(root, 'd', 'mover')); // met in another chunk of the sweep
    const { log, lines } = keptLog();
    const oldGfid = index.lookup(ROOT_GFID, Buffer.from('old'))?.gfid;
    const keptGfid = index.lookup(index.lookup(ROOT_GFID, Buffer.from('d'))?.gfid as Gfid, Buffer.from('kept'))?.gfid;
    const moverGfid = index.lookup(ROOT_GFID, Buffer.from('mover'))?.gfid;
    const got = await recordUntil(
      recorder('inotify', { log }),
      () => undefined,
      (rs) => fops(rs).includes('UNLINK') && fops(rs).includes('CREATE'),
    );
    expect(lines.filter((l) => /sweep|reconcil/.test(l))).to.deep.equal([
      'sweeping the master for what changed since',
      'sweep done',
    ]);
    expect(fops(got)).to.include.members(['UNLINK', 'MKDIR', 'MKDIR', 'CREATE']);
    expect(
      got.some((c) => c.kind === 'D' && c.gfid === oldGfid),
      "old's D",
    ).to.equal(true);
    expect(
      got.some((c) => c.kind === 'M' && c.gfid === keptGfid),
      "kept's SETATTR",
    ).to.equal(true);
    const d = index.lookup(ROOT_GFID, Buffer.from('d'))?.gfid as Gfid;
    const deep = index.lookup(index.lookup(d, Buffer.from('moved-in'))?.gfid as Gfid, Buffer.from('deep'))
      ?.gfid as Gfid;
    expect(index.lookup(deep, Buffer.from('f')), 'the moved-in tree, whole').to.not.equal(undefined);
    expect(index.lookup(d, Buffer.from('gone'))).to.equal(undefined);
    const moves = got.filter((c) => c.kind === 'E' && c.gfid === moverGfid).map((c) => (c.kind === 'E' ? c.fop : ''));
    expect(moves, 'the moved directory: a rename').to.deep.equal(['RENAME']);
    expect(index.lookup(d, Buffer.from('mover'))?.gfid).to.equal(moverGfid);
  });

  it('watches afresh a master root replaced by another directory: its new files are recorded, the old tree is gone', async () => {
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'f'), 'in the old root');
    await recordedTwice();
    const { log, lines } = keptLog();
    const ac = new AbortController();
    const running = recorder('inotify', { log }).run(ac.signal);
    const createdOne = (): boolean =>
      listChangelogs(dir, 'CHANGELOG')
        .flatMap((f) => readChangelog(f.path))
        .some((c) => c.kind === 'E' && c.fop === 'CREATE' && c.entry.name.toString() === 'one');
    try {
      while (!lines.includes('sweep done')) await sleep(20); // settled: its watches are the tree's
      fs.renameSync(root, `${root}.old`);
      fs.mkdirSync(root);
      fs.writeFileSync(path.join(root, 'one'), 'in the new root');
      // A write in the old tree, after it moved away: not the new root's.
      fs.appendFileSync(path.join(`${root}.old`, 'd', 'f'), ' changed');
      const deadline = Date.now() + 10_000;
      while (!createdOne() && Date.now() < deadline) await sleep(50);
    } finally {
      ac.abort();
      await running;
    }
    expect(createdOne(), "the new root's file").to.equal(true);
    expect(index.lookup(ROOT_GFID, Buffer.from('one')), 'indexed').to.not.equal(undefined);
    expect(index.lookup(ROOT_GFID, Buffer.from('d')), 'the old tree left the index').to.equal(undefined);
  });

  /**
   * A tree with d/f recorded (recordedTwice), then a recorder started again and run until its
   * start sweep is done: its watches are the tree's. `before`: the changelogs before it.
   */
  async function settledAfterRestart(): Promise<{
    before: number;
    ac: AbortController;
    running: Promise<void>;
    lines: string[];
  }> {
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'f'), 'kept');
    await recordedTwice();
    const before = listChangelogs(dir, 'CHANGELOG').length;
    const { log, lines } = keptLog();
    const ac = new AbortController();
    const running = recorder('inotify', { log }).run(ac.signal);
    return { before, ac, running, lines };
  }

  it('records nothing while the master root is away for a moment, and what changed meanwhile once it is back', async () => {
    const { before, ac, running, lines } = await settledAfterRestart();
    const records = (): Change[] =>
      listChangelogs(dir, 'CHANGELOG')
        .slice(before)
        .flatMap((f) => readChangelog(f.path));
    try {
      while (!lines.includes('sweep done')) await sleep(20);
      fs.renameSync(root, `${root}.away`);
      await sleep(700); // several ticks (interval 200 ms) with no root
      fs.writeFileSync(path.join(`${root}.away`, 'd', 'made while away'), 'x');
      fs.renameSync(`${root}.away`, root);
      const deadline = Date.now() + 10_000;
      while (!fops(records()).includes('CREATE') && Date.now() < deadline) await sleep(50);
    } finally {
      ac.abort();
      await running;
    }
    expect(fops(records()), 'no delete, and the file made meanwhile').to.deep.equal(['CREATE']);
    expect(index.lookup(ROOT_GFID, Buffer.from('d'))).to.not.equal(undefined);
  });

  it('stopped while the master root is away: records no delete and vouches for no time; the next start finds what changed', async () => {
    const { before, ac, running, lines } = await settledAfterRestart();
    while (!lines.includes('sweep done')) await sleep(20);
    const movedMs = Date.now();
    fs.renameSync(root, `${root}.away`);
    fs.writeFileSync(path.join(`${root}.away`, 'd', 'made while away'), 'x');
    ac.abort(); // within the tick: its hints are pending
    await running;
    const records = listChangelogs(dir, 'CHANGELOG')
      .slice(before)
      .flatMap((f) => readChangelog(f.path));
    expect(fops(records), 'nothing recorded against an absent root').to.deep.equal([]);
    expect(Number(index.getMeta(RECORDER_KEYS.recordedUpTo)), 'no time vouched for past the move').to.be.at.most(
      movedMs,
    );
    fs.renameSync(`${root}.away`, root);
    const got = await recordUntil(
      recorder(),
      () => undefined,
      (rs) => rs.some((c) => c.kind === 'E' && c.fop === 'CREATE' && c.entry.name.toString() === 'made while away'),
    );
    expect(fops(got.filter((c) => c.kind === 'E'))).to.not.include('RMDIR');
  });

  it('publishes what a restart sweep found so far while it sweeps (sweep-publish-interval)', async () => {
    const dirs = 120;
    for (let i = 0; i < dirs; i++) {
      fs.mkdirSync(path.join(root, `d${i}`));
      fs.writeFileSync(path.join(root, `d${i}`, 'f'), 'before');
    }
    await recordedTwice();
    const before = listChangelogs(dir, 'CHANGELOG').length;
    for (let i = 0; i < dirs; i++) fs.appendFileSync(path.join(root, `d${i}`, 'f'), ' and after');
    const { log, lines } = keptLog();
    const onRollover = (published: string | undefined): void => {
      if (published !== undefined) lines.push('published');
    };
    const files = new Set(
      Array.from(
        { length: dirs },
        (_, i) => index.lookup(index.lookup(ROOT_GFID, Buffer.from(`d${i}`))?.gfid as Gfid, Buffer.from('f'))?.gfid,
      ),
    );
    const got = await recordUntil(
      // 1 ms: each of the 120 directories' listing and look takes longer on any machine.
      recorder('inotify', { log, onRollover, sweepPublishMs: 1 }),
      () => undefined,
      (rs) => new Set(rs.filter((c) => c.kind === 'D').map((c) => c.gfid)).size >= files.size + 1,
    );
    const written = new Set(got.filter((c) => c.kind === 'D' && files.has(c.gfid)).map((c) => c.gfid));
    expect(written.size, 'every write found').to.equal(dirs);
    const during = lines.slice(
      lines.indexOf('sweeping the master for what changed since'),
      lines.indexOf('sweep done'),
    );
    expect(during.filter((l) => l === 'published').length, 'changelogs published during the sweep').to.be.greaterThan(
      1,
    );
    expect(listChangelogs(dir, 'CHANGELOG').length - before).to.be.greaterThan(2);
  });

  it('reconciles the whole tree at a start after a reboot or a step of the wall clock', async () => {
    await recordUntil(
      recorder(),
      () => undefined,
      () => true,
    );
    index.setMeta(
      RECORDER_KEYS.clockAnchor,
      JSON.stringify({ bootId: 'another boot', uptimeMs: 1, wallMs: Date.now() }),
    );
    fs.rmSync(path.join(root, 'old'));
    const { log, lines } = keptLog();
    const got = await recordUntil(
      recorder('inotify', { log }),
      () => undefined,
      (rs) => fops(rs).includes('UNLINK'),
    );
    expect(fops(got)).to.deep.equal(['UNLINK']);
    expect(lines.some((l) => l.startsWith('rebooted, or the wall clock stepped'))).to.equal(true);
    expect(lines).to.include('reconciling the master with the gfid index');
  });

  it('republishes journal records a crash left unpublished (idempotent repeat, nothing lost)', async () => {
    await recordUntil(
      recorder(),
      () => undefined,
      () => true,
    );
    // A crash after the journal commit, before the rollover: the records wait in the journal.
    index.journalAppend(['D 00000000-0000-0000-0000-000000000009']);
    const got = await recordUntil(
      recorder(),
      () => undefined,
      (rs) => rs.some((c) => c.kind === 'D'),
    );
    expect(got.filter((c) => c.kind === 'D')).to.have.length(1);
    expect(index.journalRead().lines).to.deep.equal([]);
  });

  it('never reuses a changelog name, even after the worker deleted it, the clock went back or it restarted', () => {
    const clock = new ManualClock(1_800_000_000_500);
    const rec = recorder('parcel', { clock });
    const names: string[] = [];
    const publish = (r: Recorder, line: string): void => {
      index.journalAppend([line]);
      const file = r.rollover(clock.nowMs());
      expect(file).to.be.a('string');
      names.push(path.basename(file as string));
      fs.rmSync(file as string); // the worker processed it and purged it (ChangelogConsumer.done)
    };
    publish(rec, 'D 00000000-0000-0000-0000-000000000001');
    publish(rec, 'D 00000000-0000-0000-0000-000000000002'); // same second, the first file gone
    clock.advance(-5_000); // the clock stepped back
    publish(rec, 'D 00000000-0000-0000-0000-000000000003');
    publish(recorder('parcel', { clock }), 'D 00000000-0000-0000-0000-000000000004'); // a restart
    clock.advance(10_000);
    publish(rec, 'D 00000000-0000-0000-0000-000000000005');
    expect(names).to.deep.equal([
      'CHANGELOG.1800000000',
      'CHANGELOG.1800000000.1',
      'CHANGELOG.1800000000.2',
      'CHANGELOG.1800000000.3',
      'CHANGELOG.1800000005',
    ]);
  });

  it('a long reconcile publishes what it found every change-interval, without moving coverage before its end', async () => {
    for (let i = 0; i < 6; i++) {
      fs.mkdirSync(path.join(root, `d${i}`));
      fs.writeFileSync(path.join(root, `d${i}`, 'f'), 'v1');
    }
    const clock = new ManualClock(1_800_000_000_000);
    const published: { file: string | undefined; recordedUpToMs: number }[] = [];
    const rec = recorder('parcel', {
      clock,
      intervalMs: 1000,
      crawlRate: 2, // entries per second: the scan sleeps (on the manual clock) between directories
      onRollover: (file, recordedUpToMs) => published.push({ file, recordedUpToMs }),
    });
    const signal = new AbortController().signal;
    await rec.reconcile(signal, 'start'); // builds the index and starts the history: nothing published
    expect(published).to.deep.equal([]);
    const covered = index.getMeta(RECORDER_KEYS.recordedUpTo);
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(root, `d${i}`, 'f'), 'version 2'); // while stopped
    await rec.reconcile(signal, 'start');
    const files = published.map((p) => p.file).filter((f): f is string => f !== undefined);
    expect(files.length, 'changelogs published during the scan').to.be.at.least(2);
    expect(published.every((p) => String(p.recordedUpToMs) === covered)).to.equal(true);
    expect(index.getMeta(RECORDER_KEYS.recordedUpTo)).to.equal(covered);
    // The last directories' records wait in the journal for the run loop's next rollover.
    const last = rec.rollover(clock.nowMs());
    const ds = [...files, last ?? []]
      .flat()
      .flatMap((f) => readChangelog(f))
      .filter((c) => c.kind === 'D');
    expect(ds, 'one D per changed file, across the published changelogs').to.have.length(6);
  });

  it('never vouches for a change it has not recorded, during a continuous stream of changes (default watcher, no settle time)', async function () {
    this.timeout(30_000);
    // The default watcher proves delivery with its marker file: no time bound is needed.
    const config = resolveConfig([], loadSchema());
    const settleMs = 0;
    const violations: string[] = [];
    let checked = 0;
    const rec = recorder(config.watcher, {
      settleMs,
      // Each rollover claims every change made before recordedUpToMs: each file written before it
      // must be in the index, with the size and mtime it has now.
      onRollover: (_file, recordedUpToMs) => {
        for (const f of fs.readdirSync(root)) {
          const st = fs.lstatSync(path.join(root, f), { bigint: true });
          // mtimes come from the kernel's coarse clock, up to a tick behind the wall clock.
          if (st.mtimeNs >= BigInt(recordedUpToMs - COARSE_CLOCK_MS) * 1_000_000n) continue;
          checked++;
          const got = index.lookup(ROOT_GFID, Buffer.from(f))?.recorded;
          if (got?.size !== Number(st.size) || got.mtimeNs !== st.mtimeNs)
            violations.push(`${f}: written before ${recordedUpToMs}, not recorded as it is`);
        }
      },
    });
    const ac = new AbortController();
    const running = rec.run(ac.signal);
    const consumer = new ChangelogConsumer(dir, index);
    while (consumer.historyStartMs() === undefined) await sleep(20);
    // A stream that never pauses for 50 ms (parcel would hand its batches over up to ~0.55 s late).
    const until = Date.now() + 2_500;
    for (let n = 0; Date.now() < until; n++) {
      fs.writeFileSync(path.join(root, `n${n}`), 'x'.repeat(n % 100));
      await sleep(3);
    }
    await sleep(settleMs + 500);
    ac.abort();
    await running;
    expect(checked, 'files the rollovers vouched for').to.be.greaterThan(100);
    expect(violations.slice(0, 5)).to.deep.equal([]);
  });
});
