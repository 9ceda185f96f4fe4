// The main tree's sequence: its first sync, then s2, idle and s3 on the same session, in that
// order, each run through runScenario. When one fails, the next ones still get a slave equal to
// the master if that can be had: an untimed repair of the session, else a fresh session of the
// same master (its first sync untimed); when neither works they are listed as not run.

import * as path from 'node:path';
import type { ScenarioKey } from './params.js';
import { repair } from './repair.js';
import { failures, runScenario } from './scenario-run.js';
import type { Ctx, Failure } from './scenario-run.js';
import { firstSync, scenarioFirstSync } from './scenarios/first-sync.js';
import type { Copies } from './scenarios/first-sync.js';
import { scenarioIdle } from './scenarios/idle.js';
import { scenarioS2Burst, scenarioS2Single } from './scenarios/s2.js';
import { scenarioS3 } from './scenarios/s3.js';
import { Session } from './session-driver.js';
import { TreeModel } from './workload.js';

/**
 * After a failure: an untimed repair of the session (georep resync of what differs), else a
 * fresh session of the same master (its first sync untimed, repaired the same way if need
 * be). Undefined when neither gives a slave equal to the master.
 */
async function recover(ctx: Ctx, master: string, cur: Session, failure: Failure): Promise<Session | undefined> {
  const { base } = ctx;
  if (await repair(cur, failures.get(failure) ?? [])) {
    failure.recovery = 'repaired by georep resync (untimed); the next scenarios ran on the same session';
    return cur;
  }
  try {
    if (cur.running()) await cur.stop();
  } catch (e) {
    console.log(`  could not stop the failed session cleanly: ${String(e)}`);
  }
  const n = Session.all.length;
  const next = new Session(master, path.join(base, `slave-${n}`), path.join(base, `work-${n}`));
  console.log(`starting a fresh session (slave-${n}) for the remaining scenarios …`);
  const f = await runScenario(ctx, `fresh session ${n + 1} (after ${failure.scenario} failed)`, async () => {
    await firstSync(next, `fresh session ${n + 1}`);
  });
  if (f === undefined || (await repair(next, failures.get(f) ?? []))) {
    failure.recovery = `the next scenarios ran on a fresh session (slave-${n})`;
    return next;
  }
  failure.recovery = 'none: the next scenarios did not run';
  return undefined;
}

/** Runs the first sync and the chosen main-tree scenarios on the (already built) tree at `master`. */
export async function runMainTree(ctx: Ctx, master: string): Promise<void> {
  const { p, base } = ctx;
  let s: Session | undefined = new Session(master, path.join(base, 'slave'), path.join(base, 'work'));
  const first = s;
  const copies: Partial<Copies> = {};
  const firstFailed = await runScenario(ctx, `first sync ${p.files} files`, () =>
    scenarioFirstSync(ctx, first, `${p.files} files`, copies),
  );
  const steps: (readonly [ScenarioKey, string, (s: Session, m: TreeModel) => Promise<void>])[] = [
    ['s2', 'S2 single change', (ss, m) => scenarioS2Single(ctx, ss, m)],
    ['s2', `S2 burst (${p.burstOps} changes)`, (ss, m) => scenarioS2Burst(ctx, ss, m)],
    ['idle', 'idle CPU', (ss) => scenarioIdle(ctx, ss)],
    ['s3', 'S3 catch-up (1 %)', (ss, m) => scenarioS3(ctx, ss, m, copies)],
  ];
  const rest = steps.filter(([key]) => p.scenarios.includes(key));
  if (firstFailed !== undefined && rest.length > 0) s = await recover(ctx, master, first, firstFailed);
  let model = s === undefined ? undefined : new TreeModel(master);
  if (model !== undefined)
    console.log(
      `  model: ${model.files.length} single-name files, ${model.dirs.length} dirs (${model.awkDirs.length} awkward), ` +
        `${model.symlinks.length} symlinks, ${model.groups.length} hard-link groups`,
    );
  for (const [i, [, name, run]] of rest.entries()) {
    const cur = s;
    const m = model;
    if (cur === undefined || m === undefined) {
      ctx.rows.push({
        scenario: name,
        metric: 'not run: no session equal to the master after an earlier failure',
        n: '',
        p50: '',
        p95: '',
        target: '',
        verdict: '',
      });
      continue;
    }
    const failed = await runScenario(ctx, name, () => run(cur, m));
    if (failed === undefined || i === rest.length - 1) continue;
    s = await recover(ctx, master, cur, failed);
    model = new TreeModel(master); // a change set may have stopped half-way
  }
  if (s?.running() === true) await s.stop();
}
