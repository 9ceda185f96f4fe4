// FaultyEngine: a decorator over a real SyncEngine that injects what is hard to provoke with
// real rsync on demand: files it "could not" send (left out of the run, which then reports a
// tolerated partial exit, as rsync 23 does), staged paths a local user on the slave blocks just
// before the transfer (a real rsync then really cannot place them), and a master change right
// after the transfer.

import fs from 'node:fs';
import { displayPath } from '../../../src/changelog/index.js';
import type { SyncEngine, TransferRequest, TransferResult } from '../../../src/syncer/engine.js';
import type { TransferError } from '../../../src/syncer/transfer-error.js';

export interface Faults {
  /** Master paths (as displayPath) the engine does not deliver; the run then ends partial. */
  readonly undelivered?: ReadonlySet<string>;
  /** The partial exit code reported when something was not delivered (rsync's 23 by default). */
  readonly exitCode?: number;
  /**
   * Master paths (as displayPath) whose staged name in the box becomes a non-empty directory
   * before the transfer: rsync cannot put a file there (exit 23), as when a slave user got in.
   */
  readonly blocked?: ReadonlySet<string>;
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

  get wholeFilesOnFailure(): boolean {
    return this.inner.wholeFilesOnFailure;
  }

  async transfer(req: TransferRequest): Promise<TransferResult> {
    const skip = this.faults.undelivered ?? new Set<string>();
    const paths = req.paths.filter((p) => !skip.has(displayPath(p)));
    for (const p of req.paths) {
      if (!(this.faults.blocked?.has(displayPath(p)) ?? false)) continue;
      const staged = Buffer.concat([Buffer.from(req.stagingDir + '/'), p]);
      fs.rmSync(staged, { force: true }); // the basis link, if any
      fs.mkdirSync(Buffer.concat([staged, Buffer.from('/sub')]), { recursive: true });
    }
    const out = await this.inner.transfer({ ...req, paths });
    this.faults.after?.();
    if (this.faults.fatal !== undefined) throw this.faults.fatal;
    if (paths.length === req.paths.length) return out;
    return { ...out, exitCode: this.faults.exitCode ?? 23, partial: true };
  }
}
