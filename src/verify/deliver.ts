// After a repair queued its entries: a one-shot sync delivers them now (it syncs the ledger's
// items again after its crawl, oneshot-ledger.ts); when another georep process holds the
// session (the daemon), that process delivers them, and nothing runs here.

import { isGeorepError } from '../errors.js';
import { runOneshot } from '../master/index.js';
import type { OneshotOptions, OneshotReport } from '../master/index.js';

export type Delivery = { readonly kind: 'synced'; readonly report: OneshotReport } | { readonly kind: 'busy' };

export async function deliverQueued(opts: OneshotOptions): Promise<Delivery> {
  try {
    return { kind: 'synced', report: await runOneshot(opts) };
  } catch (e) {
    if (isGeorepError(e) && e.code === 'SESSION_BUSY') return { kind: 'busy' };
    throw e;
  }
}
