// Records batch: changes the master made itself rather than read from a changelog (a retry's
// records, a brake release's deletes, a crawl's deferred deletes) go through process_change as
// one batch of a turn, from an XSYNC-CHANGELOG written for them and removed after. Invariant:
// the same path as every other batch, so they are planned, ordered and accounted alike.

import fs from 'node:fs';
import { ChangelogWriter } from '../changelog/index.js';
import type { Change } from '../changelog/index.js';
import type { BatchPipeline, BatchSource } from './batch-pipeline.js';
import type { MasterDeps } from './master-deps.js';

/** Sends `records` as one batch of `turn` (nothing when there are none); resolves once its entry ops are applied. */
export async function processRecords(
  deps: Pick<MasterDeps, 'xsyncDir' | 'clock'>,
  turn: BatchPipeline,
  records: readonly Change[],
  source: BatchSource,
): Promise<void> {
  if (records.length === 0) return;
  const writer = ChangelogWriter.open(deps.xsyncDir, 'XSYNC-CHANGELOG', Math.floor(deps.clock.nowMs() / 1000));
  for (const r of records) writer.append(r);
  const file = writer.close();
  try {
    await turn.processFile(file, source);
  } finally {
    fs.rmSync(file, { force: true });
  }
}
