// OpFailure conversion: one op of a batch failed; the batch goes on. Invariant: only errors we
// can name become failures (GeorepError, or a system error with an errno); anything else is a
// bug and propagates, failing the whole request.

import { errnoOf, isGeorepError } from '../errors.js';
import { isCorruption } from '../store/index.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import type { MethodName, OpFailure } from './protocol.js';

export function toFailure(e: unknown, index: number, gfid: Gfid): OpFailure {
  // A corrupt index is no failure of this op: the whole request fails (SlaveAgent.failure).
  if (isCorruption(e)) throw e;
  if (isGeorepError(e)) {
    const base = { index, gfid, code: e.code, message: e.message };
    return e.path === undefined ? base : { ...base, path: e.path };
  }
  const errno = errnoOf(e);
  if (errno !== undefined && e instanceof Error) return { index, gfid, code: errno, message: e.message };
  throw e;
}

/** A system-style error carrying an errno name, for failures we detect ourselves (EPERM, ENOENT…). */
export function errnoError(errno: string, message: string): Error {
  return Object.assign(new Error(`${errno}: ${message}`), { code: errno });
}

/**
 * Runs `fn` for each item, in order; a nameable failure is recorded and the next item runs.
 * `before` (the agent's test seam, AgentHooks.beforeItem) runs ahead of each item.
 */
export function eachOp<T extends { readonly gfid: Gfid }>(
  items: readonly T[],
  fn: (item: T) => void,
  before?: (index: number) => void,
): OpFailure[] {
  const failures: OpFailure[] = [];
  items.forEach((item, i) => {
    before?.(i);
    try {
      fn(item);
    } catch (e) {
      failures.push(toFailure(e, i, item.gfid));
    }
  });
  return failures;
}

/** The `before` of eachOp for one request's items: the test seam, when a test set one. */
export function beforeItemOf(ctx: SlaveContext, method: MethodName): ((index: number) => void) | undefined {
  const hook = ctx.hooks.beforeItem;
  return hook === undefined ? undefined : (index) => hook(method, index);
}
