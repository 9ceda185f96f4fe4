// Re-verify: after a rebuild of either side's index (a quarantine, a recreated slave) the slave
// adopts by name whatever it already holds, so its copies carry no proof of content. Until the
// full crawl that follows has completed, a file with nothing confirmed in the index is sent with
// rsync's quick check off (a delta transfer against the adopted copy, see ClassifyOptions): a
// file rewritten with its size and mtime put back is sent, not taken as already there.

import type { MetaKey, SessionMeta } from '../store/index.js';

/** Meta key of the session index; present while the slave's content is to be re-verified. */
export const REVERIFY_KEY = 'slave.reverifyContent' satisfies MetaKey;

/** Whether the crawl distrusts what the slave holds (see the file header). */
export function reverifying(index: Pick<SessionMeta, 'getMeta'>): boolean {
  return index.getMeta(REVERIFY_KEY) !== undefined;
}

/** From now until endReverify: the slave's content is to be proven by the full crawl. */
export function startReverify(index: Pick<SessionMeta, 'setMeta'>, why: string): void {
  index.setMeta(REVERIFY_KEY, why);
}

/**
 * Meta key present from the decision to crawl a new (or recreated) slave fully until that full
 * crawl completed: a run stopped before (after a seed copy landed, say) leaves entries nothing
 * purged, so the next run is a full crawl too (session-setup.ts, decideFullCrawl).
 */
export const FULL_PENDING_KEY = 'crawl.fullPending' satisfies MetaKey;

export function startFullCrawl(index: Pick<SessionMeta, 'setMeta'>): void {
  index.setMeta(FULL_PENDING_KEY, '1');
}

export function fullCrawlPending(index: Pick<SessionMeta, 'getMeta'>): boolean {
  return index.getMeta(FULL_PENDING_KEY) !== undefined;
}

/** The full crawl completed: every file was sent or compared with the quick check off. */
export function endReverify(index: Pick<SessionMeta, 'getMeta' | 'deleteMeta'>): void {
  if (reverifying(index)) index.deleteMeta(REVERIFY_KEY);
  if (fullCrawlPending(index)) index.deleteMeta(FULL_PENDING_KEY);
}
