// A one-shot sync and the failure ledger: what the ledger holds (paths queued by georep resync
// or repair, or what a stopped daemon could not land) is synced again from its current state,
// as the live worker's changelog turn does; what lands leaves the ledger, what does not stays
// in it (and in the run's failures). The crawl alone would not send these: the index says the
// slave confirmed them, which is exactly what a repair contradicts. They go before the crawl,
// which would otherwise meet the places a repair emptied (a hard link's other name in a
// directory it dropped) and fail there; items whose path the index had wrong (the master moved
// them since the last sync) go again after it, from the names the crawl just recorded.

import { resync as changelogTurnResync } from './changelog-turn.js';
import { ROOT_GFID } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import type { LedgerItem, NameIndex } from '../store/index.js';
import { recordProblems } from './failure-ledger.js';
import type { MasterBase } from './master-base.js';
import { PROBLEM } from '../problem-codes.js';

/** gfids synced again per batch (one XSYNC changelog each); parents are sent before children. */
const GFIDS_PER_BATCH = 4096;

/** Ledger items a one-shot sync retries after its crawl: those not where the index said. */
export const MOVED_SINCE: (item: LedgerItem) => boolean = (item) => item.code === PROBLEM.RECORDER_BEHIND;

/** Syncs the ledger's items (`which` of them) again; returns how many there were. */
export async function retryLedger(m: MasterBase, which: (item: LedgerItem) => boolean = () => true): Promise<number> {
  const { index } = m.deps;
  const items = index.ledgerAll().filter(which);
  if (items.length === 0) return 0;
  const turn = m.newTurn();
  // Waves by depth, each its own batch (sent in order): a parent directory lands before any
  // name in it. By the deepest name: a hard link's other names may lie deeper than its first.
  const waves = new Map<number, Gfid[]>();
  for (const item of items) {
    const d = deepestName(index, item.gfid);
    const wave = waves.get(d) ?? [];
    wave.push(item.gfid);
    waves.set(d, wave);
  }
  const gfids: Gfid[] = [];
  for (const d of [...waves.keys()].sort((a, b) => a - b)) {
    const wave = waves.get(d) ?? [];
    gfids.push(...wave);
    for (let k = 0; k < wave.length; k += GFIDS_PER_BATCH)
      await changelogTurnResync(m.deps, turn, wave.slice(k, k + GFIDS_PER_BATCH));
  }
  const result = await turn.settle();
  // A lost batch may hold any item: nothing is resolved on its word (as in the live turn).
  if (result.lostBatches === 0) recordProblems(m.deps, result.problems, gfids, 0);
  m.countLedger();
  return items.length;
}

/** Components in the deepest path of `gfid` (0: the root; -1: gone from the index). */
function deepestName(index: Pick<NameIndex, 'namesOf' | 'pathOf'>, gfid: Gfid): number {
  if (gfid === ROOT_GFID) return 0;
  let deepest = -1;
  for (const n of index.namesOf(gfid)) {
    const dir = index.pathOf(n.pargfid);
    if (dir !== undefined) deepest = Math.max(deepest, components(dir) + 1);
  }
  return deepest;
}

function components(rel: Buffer): number {
  if (rel.length === 0) return 0;
  let n = 1;
  for (const b of rel) if (b === 0x2f) n++;
  return n;
}
