// After a FAILED scenario, an untimed attempt to make the slave equal again (georep resync of
// what differs), so the next scenarios can run on the same session instead of a fresh one. It
// exists apart from convergence.ts because it changes the slave; nothing it does is timed.

import * as fs from 'node:fs';
import { pathOfDisplay } from '../../test/support/tree-bytes.js';
import type { Difference } from '../../test/support/tree-compare.js';
import { nowMs, sleep } from './clock.js';
import { compareSafe } from './convergence.js';
import { LAG_LIMIT_MS } from './params.js';
import type { Session } from './session-driver.js';
import { absOf, bytesOf, dirOf, relOf } from './tree.js';

/** Most paths a repair queues; more differences than that are not repaired but left to a fresh session. */
const REPAIR_MAX_PATHS = 20;

/**
 * After a failure, tries to make the slave equal again without timing anything: `georep resync`
 * of each differing path (a missing or extra name: its directory; a name argv cannot carry: its
 * nearest ancestor that it can), then full compares until equal or LAG_LIMIT_MS. True when the
 * slave equals the master.
 */
export async function repair(s: Session, diffs: readonly Difference[]): Promise<boolean> {
  if (diffs.length === 0) return compareSafe(s.master, s.slave).length === 0;
  if (!s.running()) return false;
  const targets = new Set<string>();
  for (const d of diffs) {
    let rel = d.path === '.' ? '' : relOf(pathOfDisplay(d.path));
    if (d.what === 'missing' || d.what === 'extra' || d.what === 'type') rel = dirOf(rel);
    while (
      rel !== '' &&
      !(fs.existsSync(absOf(s.master, rel)) && Buffer.from(bytesOf(rel).toString('utf8')).equals(bytesOf(rel)))
    )
      rel = dirOf(rel);
    if (rel === '') {
      // A resync of the root is one of the whole tree (and ran the worker out of heap at 50,000 files).
      console.log(`  repair: ${d.path} would need a resync of the whole tree: not tried`);
      return false;
    }
    targets.add(bytesOf(rel).toString('utf8'));
  }
  if (targets.size > REPAIR_MAX_PATHS) {
    console.log(`  repair: ${targets.size} paths differ, more than ${REPAIR_MAX_PATHS}: not tried`);
    return false;
  }
  console.log(`  repair (untimed): georep resync of ${[...targets].map((t) => JSON.stringify(t)).join(', ')}`);
  try {
    for (const t of targets) await s.resync(t);
  } catch (e) {
    console.log(`  repair: ${String(e)}`);
    return false;
  }
  const t0 = nowMs();
  for (;;) {
    const left = compareSafe(s.master, s.slave);
    if (left.length === 0) {
      console.log(`  repair: the slave equals the master again after ${((nowMs() - t0) / 1000).toFixed(1)} s`);
      return true;
    }
    if (nowMs() - t0 > LAG_LIMIT_MS || !s.running()) {
      console.log(
        `  repair: the slave still differs in ${left.length} places (first: ${left[0]?.path}: ${left[0]?.what})`,
      );
      return false;
    }
    await sleep(1000);
  }
}
