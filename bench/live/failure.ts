// The two ways a live-bench step goes wrong, kept apart because they are handled apart:
// BenchFailure (a command failed, a pid survived `georep stop`) stops the scenario, and at top
// level the whole run, with exit status 1; NotConverged (the slave did not equal the master in
// time, or the daemon died) carries the differences and the log tail so the scenario is
// reported as FAILED and the next ones still run.

import type { Difference } from '../../test/support/tree-compare.js';

/** Stops the benchmark: reported at top level, exit status 1 (daemons stopped, temp dirs removed). */
export class BenchFailure extends Error {}

export function fail(message: string): never {
  throw new BenchFailure(message);
}

/**
 * A scenario's slave did not equal the master within its limit (or its daemon died): the
 * scenario is reported as FAILED with these differences, and the bench goes on.
 */
export class NotConverged extends Error {
  constructor(
    message: string,
    readonly diffs: readonly Difference[],
    readonly log: string,
  ) {
    super(message);
  }
}
