// Runs one scenario so that its failure is a result, not the end of the run: whatever it throws
// becomes a FAILED row, a Failure with its first differences and log tail, and the bench goes
// on. Ctx is what every scenario shares (params, temp base, rows, results, missed targets).

import { formatDifferences } from '../../test/support/tree-compare.js';
import type { Difference } from '../../test/support/tree-compare.js';
import { BenchFailure, NotConverged } from './failure.js';
import type { Params } from './params.js';
import type { Row } from './report.js';

export interface Failure {
  readonly scenario: string;
  /** Whether an untimed repair (georep resync) or a fresh session let the next scenarios run. */
  recovery?: string;
  readonly message: string;
  readonly differences: number;
  readonly firstDifferences: string;
  readonly log: string;
}

export interface Ctx {
  readonly p: Params;
  readonly base: string;
  readonly gnuTime: boolean;
  readonly rows: Row[];
  readonly results: Record<string, unknown>;
  readonly missed: string[];
  readonly failures: Failure[];
  /** The daemon's first sync of the main tree, s (bounds the S3 wait). */
  firstSyncS?: number;
}

/** Each failure's full list of differences (for the repair). */
export const failures = new WeakMap<Failure, readonly Difference[]>();

/**
 * Runs one scenario. When it throws (its slave did not converge, its daemon died, a command
 * failed) it is reported as FAILED, with the first differences, and the bench goes on.
 */
export async function runScenario(ctx: Ctx, name: string, fn: () => Promise<void>): Promise<Failure | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    const message =
      e instanceof BenchFailure || e instanceof NotConverged
        ? e.message
        : e instanceof Error
          ? (e.stack ?? e.message)
          : String(e);
    const diffs = e instanceof NotConverged ? e.diffs : [];
    const failure: Failure = {
      scenario: name,
      message,
      differences: diffs.length,
      firstDifferences: formatDifferences(diffs),
      log: e instanceof NotConverged ? e.log : '',
    };
    ctx.failures.push(failure);
    const firstLine = message.split('\n')[0] ?? '';
    ctx.rows.push({
      scenario: name,
      metric: `FAILED: ${firstLine.length > 110 ? `${firstLine.slice(0, 110)}…` : firstLine}`,
      n: '',
      p50: 'FAILED',
      p95: '',
      target: '',
      verdict: 'FAILED',
    });
    console.log(`\nFAILED: ${name}: ${message}`);
    if (diffs.length > 0) console.log(`  ${diffs.length} differences, the first:\n${failure.firstDifferences}`);
    if (failure.log !== '') console.log(`--- georep.log (tail) ---\n${failure.log}\n---`);
    failures.set(failure, diffs);
    return failure;
  }
}
