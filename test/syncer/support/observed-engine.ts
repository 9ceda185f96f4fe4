// ObservedEngine: a decorator over a real SyncEngine (not a fake: every transfer really runs)
// that records each box (its master paths) and notes any path that was in two running
// transfers at once. Tests give each gfid its own path, so a path stands for its gfid.

import { displayPath } from '../../../src/changelog/index.js';
import type { SyncEngine, TransferRequest, TransferResult } from '../../../src/syncer/engine.js';
import type { QuickCheck } from '../../../src/syncer/job.js';

export interface SeenBox {
  readonly paths: readonly string[];
  readonly quickCheck: QuickCheck;
}

export class ObservedEngine implements SyncEngine {
  readonly boxes: SeenBox[] = [];
  /** The box folder of each transfer, in order. */
  readonly stagingDirs: string[] = [];
  /** Paths seen in two concurrently running transfers (must stay empty). */
  readonly overlaps: string[] = [];
  maxConcurrent = 0;
  readonly #running = new Set<string>();
  #concurrent = 0;

  constructor(private readonly inner: SyncEngine) {}

  get name(): SyncEngine['name'] {
    return this.inner.name;
  }

  get usesBasis(): boolean {
    return this.inner.usesBasis;
  }

  get wholeFilesOnFailure(): boolean {
    return this.inner.wholeFilesOnFailure;
  }

  async transfer(req: TransferRequest): Promise<TransferResult> {
    const paths = req.paths.map(displayPath);
    this.boxes.push({ paths, quickCheck: req.quickCheck });
    this.stagingDirs.push(req.stagingDir);
    for (const p of paths) {
      if (this.#running.has(p)) this.overlaps.push(p);
      this.#running.add(p);
    }
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.#concurrent);
    try {
      return await this.inner.transfer(req);
    } finally {
      this.#concurrent--;
      for (const p of paths) this.#running.delete(p);
    }
  }
}
