// The worker process body (the monitor's `worker` child): runs the live session worker
// (live.ts) until stopped. It exists so the CLI does not hold the worker's work: what the worker
// takes from its session besides its config lives here, namely the checkpoint target, which
// `georep checkpoint set` changes while the worker runs, so it is read afresh each turn.

import { checkpointTargetMs } from './checkpoint.js';
import { runLive } from './live.js';
import type { SessionRunOptions } from './session-setup.js';

export interface WorkerProcessOptions extends SessionRunOptions {
  readonly signal: AbortSignal;
  /** The session's saved `checkpoint` value now ('' or undefined: none); called each turn. */
  readonly checkpointValue: () => string | undefined;
  /** After each completed turn: the monitor's evidence of progress (monitor-state.ts). */
  readonly onTurnCompleted: () => void;
  /** The worker waits for a slave host that does not answer: the monitor shows it Faulty for `cause`. */
  readonly onUnreachable: (cause: string) => void;
}

export async function runWorkerProcess(opts: WorkerProcessOptions): Promise<void> {
  const { checkpointValue, ...live } = opts;
  await runLive({
    ...live,
    checkpointTargetMs: () => checkpointTargetMs(checkpointValue() ?? ''),
  });
}
