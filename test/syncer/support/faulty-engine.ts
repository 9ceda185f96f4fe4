// FaultyEngine: a decorator over a real SyncEngine that injects what is hard to provoke with
// real rsync on demand: files it "could not" send (left out of the run, which then reports a
// tolerated partial exit, as rsync 23 does), and a master change right after the transfer.

import { displayPath } from '../../../src/changelog/index.js';
import type { SyncEngine, TransferRequest, TransferResult } from '../../../src/syncer/engine.js';
import type { TransferError } from '../../../src/syncer/transfer-error.js';

export interface Faults {
  /** Master paths (as displayPath) the engine does not deliver; the run then ends partial. */
  readonly undelivered?: ReadonlySet<string>;
  /** The partial exit code reported when something was not delivered (rsync's 23 by default). */
  readonly exitCode?: number;
  /** Runs once the real transfer is done: a change on the master while the box was in flight. */
  readonly after?: () => void;
  /** After delivering, fail the whole run as a fatal exit would (a full disk part-way through). */
  readonly fatal?: TransferError;
}

export class FaultyEngine implements SyncEngine {
  constructor(
    private readonly inner: SyncEngine,
    private readonly faults: Faults,
  ) {}

  get name(): SyncEngine['name'] {
    return this.inner.name;
  }

  get usesBasis(): boolean {
    return this.inner.usesBasis;
  }

  async transfer(req: TransferRequest): Promise<TransferResult> {
    const skip = this.faults.undelivered ?? new Set<string>();
    const paths = req.paths.filter((p) => !skip.has(displayPath(p)));
    const out = await this.inner.transfer({ ...req, paths });
    this.faults.after?.();
    if (this.faults.fatal !== undefined) throw this.faults.fatal;
    if (paths.length === req.paths.length) return out;
    return { ...out, exitCode: this.faults.exitCode ?? 23, partial: true };
  }
}
