// ObservedEngine: a decorator over a real SyncEngine (not a fake: every transfer really runs)
// that records each box and notes any gfid that was in two running transfers at once.

import type { Gfid } from '../../../src/changelog/index.js';
import type { SyncEngine, TransferRequest, TransferResult } from '../../../src/syncer/engine.js';
import type { QuickCheck } from '../../../src/syncer/job.js';

export interface SeenBox {
  readonly gfids: readonly Gfid[];
  readonly quickCheck: QuickCheck;
}

export class ObservedEngine implements SyncEngine {
  readonly boxes: SeenBox[] = [];
  /** gfids seen in two concurrently running transfers (must stay empty). */
  readonly overlaps: Gfid[] = [];
  maxConcurrent = 0;
  readonly #running = new Set<Gfid>();
  #concurrent = 0;

  constructor(private readonly inner: SyncEngine) {}

  get name(): SyncEngine['name'] {
    return this.inner.name;
  }

  get usesBasis(): boolean {
    return this.inner.usesBasis;
  }

  async transfer(req: TransferRequest): Promise<TransferResult> {
    this.boxes.push({ gfids: [...req.gfids], quickCheck: req.quickCheck });
    for (const g of req.gfids) {
      if (this.#running.has(g)) this.overlaps.push(g);
      this.#running.add(g);
    }
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.#concurrent);
    try {
      return await this.inner.transfer(req);
    } finally {
      this.#concurrent--;
      for (const g of req.gfids) this.#running.delete(g);
    }
  }
}
