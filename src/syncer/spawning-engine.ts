// SpawningEngine: what both engines share around their processes. Each runs its own command
// for a box and judges its own exit codes; the result is made here, so that "a tolerated
// non-zero exit is a partial transfer" (TransferResult.partial) is decided in one place.

import type { EngineDeps, EngineName, SyncEngine, TransferRequest, TransferResult } from './engine.js';
import { ExecaSpawner } from './spawner.js';
import { stderrTail } from './stderr-scan.js';

/** What an engine's processes did for one box, when the exit was tolerated. */
export interface EngineRun {
  /** The tolerated exit code: 0, or one the engine accepts as partial (rsync 23/24, tar 1/2). */
  readonly exitCode: number;
  readonly bytesSent: number;
  readonly durationMs: number;
  /** All of stderr worth showing; only its tail is kept. */
  readonly stderr: string;
  readonly argv: readonly string[];
}

export abstract class SpawningEngine<Cfg> implements SyncEngine {
  abstract readonly name: EngineName;
  abstract readonly usesBasis: boolean;
  abstract readonly wholeFilesOnFailure: boolean;

  constructor(
    protected readonly cfg: Cfg,
    protected readonly deps: EngineDeps = { spawner: new ExecaSpawner() },
  ) {}

  async transfer(req: TransferRequest): Promise<TransferResult> {
    const run = await this.run(req);
    return {
      exitCode: run.exitCode,
      bytesSent: run.bytesSent,
      durationMs: run.durationMs,
      stderrTail: stderrTail(run.stderr),
      argv: run.argv,
      partial: run.exitCode !== 0,
    };
  }

  /** Runs the engine's command(s) for one box; a fatal exit rejects with a TransferError. */
  protected abstract run(req: TransferRequest): Promise<EngineRun>;
}
