// A verb's run under SIGINT/SIGTERM/SIGHUP: the signals become an abort for the run's length only, and
// a run they stopped fails with the stop's reason, whichever step the abort happened to cut short.

import { isGeorepError } from '../errors.js';
import type { CliIo } from './context.js';

export async function runTrapped<T>(
  io: Pick<CliIo, 'trapSignals'>,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { signal, release } = io.trapSignals();
  try {
    return await body(signal);
  } catch (e) {
    if (signal.aborted && isGeorepError(signal.reason)) throw signal.reason;
    throw e;
  } finally {
    release();
  }
}
