// E2E, randomized and seeded (issue 13): a live daemon replicates a tree of a few hundred
// awkward entries while random bursts of changes hit it; at random moments a checkpoint is
// set, and when it completes the slave must hold exactly the master as it was when the
// checkpoint was set. While a checkpoint is pending only a separate noise subtree changes
// (the daemon stays busy, the compared part stays frozen). "Completed" must mean that every
// change made before the target is on the slave, and that nothing of it is in the ledger.
//
// Replay a run: GEOREP_RANDOM_SEED=<seed> npx mocha test/e2e/live-random.test.ts (the same
// seed applies the same operations; only the daemon's timing differs). GEOREP_KEEP_TMP=1 keeps
// the temp folder of a failed run (session log, changelogs, ops.log); GEOREP_RANDOM_MS sets
// how long the random rounds last (default 60 s).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { alive, LiveSession } from '../support/live-session.js';
import type { LedgerEntry, StatusJson } from '../support/live-session.js';
import { buildRandomTree, compareSnapshots, noiseStep, RandomTree, Rng, takeSnapshot } from '../support/random-ops.js';
import type { TreeSnapshot } from '../support/random-ops.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';
import type { Difference } from '../support/tree-compare.js';
import { joinBytes, pathOfDisplay } from '../support/tree-bytes.js';

const SEED = Number(process.env['GEOREP_RANDOM_SEED'] ?? 1313);
const ROUNDS_MS = Number(process.env['GEOREP_RANDOM_MS'] ?? 40_000);
/** A checkpoint must complete within this long of being set (generous: 2 cores, shared). */
const CHECKPOINT_MS = 30_000;
/** The first sync and the final convergence. */
const CONVERGE_MS = 60_000;
/** The subtree that keeps changing while a checkpoint is pending; never compared at a checkpoint. */
const NOISE = 'noise';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('e2e: live daemon under seeded random changes, with checkpoints (issue 13)', function () {
  this.timeout(ROUNDS_MS + 150_000);
  let s: LiveSession;
  const opLog: string[] = [];
  const t0 = Date.now();

  const log = (line: string): void => {
    opLog.push(`${new Date().toISOString()} +${((Date.now() - t0) / 1000).toFixed(3)}s ${line}`);
  };
  const flushLog = (): void => {
    if (opLog.length === 0) return;
    fs.appendFileSync(path.join(s.tmp, 'ops.log'), opLog.join('\n') + '\n');
    opLog.length = 0;
  };

  beforeEach(() => {
    s = new LiveSession('georep-random-');
  });
  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    const keep = failed && process.env['GEOREP_KEEP_TMP'] === '1';
    flushLog();
    const killed = await s.cleanup(keep);
    if (failed) {
      console.log(
        `live-random: failed with seed ${SEED}; replay: GEOREP_RANDOM_SEED=${SEED} npx mocha test/e2e/live-random.test.ts`,
      );
      if (keep) console.log(`kept ${s.tmp} (session log ${s.logPath()}, ops ${path.join(s.tmp, 'ops.log')})`);
    }
    expect(killed, 'session processes that outlived georep stop').to.deep.equal([]);
  });

  /** Throws with everything needed to replay and diagnose the run. */
  const fail = (what: string, details: string): never => {
    flushLog();
    throw new Error(
      [
        `${what} (seed ${SEED}; replay: GEOREP_RANDOM_SEED=${SEED} npx mocha test/e2e/live-random.test.ts)`,
        details,
        `session log: ${s.logPath()}`,
        `changelogs: ${path.join(s.sessionDir() ?? '?', 'changelogs')}`,
        `ops: ${path.join(s.tmp, 'ops.log')}${process.env['GEOREP_KEEP_TMP'] === '1' ? '' : ' (set GEOREP_KEEP_TMP=1 to keep them)'}`,
      ].join('\n'),
    );
  };

  /**
   * What the run knows of the first few differing paths, for a failure seen only in CI output
   * (the temp folder is gone by then): both sides' lstat (a slave ctime says when the slave
   * last touched the inode), the operations that named the path, and the session log's lines
   * that do.
   */
  const explain = (diffs: readonly Difference[]): string => {
    flushLog();
    const lines = (file: string): string[] => {
      try {
        return fs.readFileSync(file, 'utf8').split('\n');
      } catch {
        return [];
      }
    };
    const stat = (root: string, rel: string): string => {
      try {
        const st = fs.lstatSync(joinBytes(root, pathOfDisplay(rel)), { bigint: true });
        const t = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();
        return `ino ${st.ino} nlink ${st.nlink} size ${st.size} mtime ${t(st.mtimeNs)} ctime ${t(st.ctimeNs)}`;
      } catch (e) {
        return String(e);
      }
    };
    const ops = lines(path.join(s.tmp, 'ops.log'));
    const logged = lines(s.logPath());
    const out: string[] = [];
    for (const d of diffs.slice(0, 3)) {
      const base = d.path.split('/').at(-1) ?? d.path;
      const quoted = JSON.stringify(base).slice(1, -1); // as the ops log spells it
      const names = (l: string): boolean => l.includes(`/${quoted}"`) || l.includes(`"${quoted}"`);
      out.push(`-- ${d.path}`, `   master: ${stat(s.master, d.path)}`, `   slave:  ${stat(s.slave, d.path)}`);
      out.push(
        ...ops
          .filter(names)
          .slice(-20)
          .map((l) => `   op: ${l}`),
      );
      out.push(
        ...logged
          .filter((l) => l.includes(base))
          .slice(-20)
          .map((l) => `   log: ${l.slice(0, 400)}`),
      );
    }
    return out.join('\n');
  };

  /** The slave minus its control folder and the noise subtree; retried if it moves under the walk. */
  const slaveSnapshot = async (): Promise<TreeSnapshot> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return takeSnapshot(s.slave, ['.georep', NOISE]);
      } catch (e) {
        if (attempt >= 3)
          return fail('the compared part of the slave kept changing after the checkpoint completed', String(e));
        await sleep(200);
      }
    }
  };

  /** Waits until the whole slave equals the whole master (noise included). */
  const converge = async (what: string): Promise<number> => {
    const start = Date.now();
    let diffs: Difference[] = [];
    for (;;) {
      try {
        diffs = fs.existsSync(s.slave)
          ? compareTrees(s.master, s.slave)
          : [{ path: '.', what: 'missing', master: 'dir', slave: 'absent' }];
      } catch (e) {
        diffs = [{ path: '.', what: 'missing', master: 'walk', slave: String(e) }];
      }
      if (diffs.length === 0) return Date.now() - start;
      if (Date.now() - start > CONVERGE_MS)
        return fail(`${what}: the slave did not converge in ${CONVERGE_MS} ms`, formatDifferences(diffs));
      await sleep(250);
    }
  };

  it(`holds, at every completed checkpoint, the master as it was when it was set (seed ${SEED})`, async function () {
    const rng = new Rng(SEED);
    const noiseRng = new Rng(SEED ^ 0x5eed);
    buildRandomTree(s.master, rng, SEED);
    const noiseDir = path.join(s.master, NOISE);
    fs.mkdirSync(noiseDir);
    for (let i = 0; i < 30; i++) noiseStep(noiseDir, noiseRng, i);
    const tree = new RandomTree(s.master, rng, { seed: SEED, skipRootNames: [NOISE] });
    log(`seed ${SEED}: built ${tree.entries().length} entries (+ noise)`);

    // Small limits so that batch and crawl-file boundaries fall inside the tree and the bursts.
    await s.config('xsync-changelog-entries', '8');
    await s.config('seed-copy', 'false');
    await s.config('change-interval', '1');
    await s.config('sync-box-files', '5');
    await s.config('retry-backoff-max', '4');
    // A burst may delete more than a tenth of this small tree: no mass delete here.
    await s.config('delete-brake-percent', '0');
    await s.start();
    const firstSync = await converge('first sync');
    log(`first sync converged (${firstSync} ms after start returned)`);

    // The noise subtree: changes only while a checkpoint is pending.
    let noiseOn = false;
    let noiseOps = 0;
    const noiseLoop = async (): Promise<void> => {
      while (noiseOn) {
        noiseStep(noiseDir, noiseRng, 1000 + noiseOps++);
        await sleep(noiseRng.between(20, 80)); // about 20 changes a second
      }
    };

    let lastTarget = 0;
    let checkpoints = 0;
    const took: number[] = [];
    const checkpoint = async (why: string): Promise<void> => {
      // The compared part is frozen from here until the comparison below.
      const snap = takeSnapshot(s.master, [NOISE]);
      const setAt = Date.now();
      let target = await s.checkpointNow();
      if (target <= lastTarget) {
        // Still the second of the last target: wait for the next one, so this is a new checkpoint.
        await sleep(lastTarget + 1000 - Date.now() + 50);
        target = await s.checkpointNow();
      }
      lastTarget = target;
      checkpoints++;
      log(
        `checkpoint ${checkpoints} (${why}) set: target ${new Date(target).toISOString()}, ${snap.size} entries frozen`,
      );
      flushLog();
      noiseOn = true;
      const noise = noiseLoop();
      let pending: Promise<StatusJson | undefined> | undefined;
      let seen: StatusJson | undefined;
      let how = '';
      try {
        while (how === '') {
          // checkpoint.json (cheap, read every 50 ms) or georep status --json, whichever says so first.
          const file = s.checkpointFile();
          if (file?.targetMs === target && file.completedMs !== null) how = 'checkpoint.json';
          pending ??= s.status().then(
            (st) => (seen = st),
            () => {
              pending = undefined; // asked again on the next pass
              return undefined;
            },
          );
          if (seen !== undefined) {
            const st: StatusJson = seen;
            seen = undefined;
            pending = undefined;
            if (st.checkpoint_completed && Date.parse(st.checkpoint_time ?? '') === target) how = 'georep status';
          }
          if (how === '' && Date.now() - setAt > CHECKPOINT_MS) {
            const st = await s.status().catch((e: unknown) => String(e));
            fail(
              `checkpoint ${checkpoints} (target ${new Date(target).toISOString()}) not completed ${CHECKPOINT_MS} ms after it was set`,
              `status: ${JSON.stringify(st)}\nledger: ${JSON.stringify(await s.failures().catch(String))}\nslave vs snapshot:\n${formatDifferences(compareSnapshots(snap, await slaveSnapshot()))}`,
            );
          }
          if (how === '') await sleep(50);
        }
        // First what the slave holds right at completion; then what status and the ledger say.
        const atCompletion = await slaveSnapshot();
        const tookMs = Date.now() - setAt;
        took.push(tookMs);
        const diffs = compareSnapshots(snap, atCompletion);
        const st = await s.status();
        const ledger = await s.failures();
        // The noise goes on after the target, and may fail and be retried: the ledger may hold
        // noise items, even filed just before completion. None may stand for a change older
        // than the target (the checkpoint waits for exactly those), and none may be an entry of
        // the frozen, compared part. (An item whose entry is gone shows its gfid as its path:
        // only noise is deleted after the target.)
        const completedMs = s.checkpointFile()?.completedMs ?? Date.parse(st.checkpoint_completion_time ?? '');
        const noisy = (f: LedgerEntry): boolean =>
          f.path === NOISE || f.path.startsWith(`${NOISE}/`) || f.path === f.gfid;
        const older = (f: LedgerEntry): boolean => f.change_time === null || Date.parse(f.change_time) < target;
        const held = ledger.filter((f) => older(f) || !noisy(f));
        log(
          `checkpoint ${checkpoints} completed (seen by ${how}) ${tookMs} ms after set; ${noiseOps} noise ops so far; ` +
            `ledger ${ledger.length}, ${held.length} of them for a change older than the target or outside noise`,
        );
        if (diffs.length > 0) {
          noiseOn = false;
          await noise;
          // For the diagnosis: does the slave get there later (completed too early) or never?
          let later = 'still differs 15 s later';
          for (const until = Date.now() + 15_000; Date.now() < until; await sleep(500)) {
            if (compareSnapshots(snap, await slaveSnapshot()).length === 0) {
              later = `equal ${Date.now() - setAt - tookMs} ms after completion (completed too early)`;
              break;
            }
          }
          fail(
            `checkpoint ${checkpoints} (target ${new Date(target).toISOString()}) completed, but the slave lacks changes made before it was set: ${diffs.length} differences; ${later}`,
            `${formatDifferences(diffs, 40)}\nstatus: ${JSON.stringify(st)}\n${explain(diffs)}`,
          );
        }
        if (!st.checkpoint_completed || Date.parse(st.checkpoint_time ?? '') !== target) {
          fail(`checkpoint ${checkpoints}: checkpoint.json says completed, georep status does not`, JSON.stringify(st));
        }
        if (held.length > 0) {
          fail(
            `checkpoint ${checkpoints} completed (at ${new Date(completedMs).toISOString()}) with items in the failure ledger for changes older than its target, or not noise`,
            JSON.stringify(held, null, 2),
          );
        }
      } finally {
        noiseOn = false;
        await noise;
        if (pending !== undefined) await pending.catch(() => undefined);
      }
    };

    // Rounds: a random burst of changes, then (often) a checkpoint, at once or a little later.
    let round = 0;
    let ops = 0;
    const roundsStart = Date.now();
    while (Date.now() - roundsStart < ROUNDS_MS) {
      round++;
      const n = rng.weighted<() => number>([
        [() => rng.between(1, 5), 0.25],
        [() => rng.between(6, 60), 0.45],
        [() => rng.between(61, 200), 0.3],
      ])();
      log(`round ${round}: ${n} ops`);
      for (let i = 0; i < n; i++) {
        log(tree.step());
        ops++;
        if (rng.chance(0.03)) await sleep(rng.int(500));
      }
      const next = rng.weighted<string>([
        ['checkpoint now', 0.55],
        ['checkpoint later', 0.2],
        ['no checkpoint', 0.25],
      ]);
      if (next === 'checkpoint later') await sleep(rng.int(2500));
      if (next !== 'no checkpoint') await checkpoint(`${next}, after round ${round}`);
      else flushLog();
    }

    // The end: one last checkpoint over everything, then the whole tree (noise included), then stop.
    await checkpoint('final');
    await converge('final');
    await s.stop();
    const diffs = compareTrees(s.master, s.slave);
    if (diffs.length > 0) fail('after georep stop the slave differs from the master', formatDifferences(diffs));
    const survivors = s.pids().filter(alive);
    expect(survivors, 'session processes alive after georep stop').to.deep.equal([]);
    log(
      `done: ${round} rounds, ${ops} ops, ${checkpoints} checkpoints, ${noiseOps} noise ops, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    console.log(
      `      seed ${SEED}: first sync ${firstSync} ms; ${round} rounds, ${ops} ops, ${noiseOps} noise ops; ` +
        `${checkpoints} checkpoints, completed after ${took.join(', ')} ms`,
    );
  });
});
