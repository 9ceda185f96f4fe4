// codeOf / codeOfAsync: the GeorepError code a call throws (or rejects with), undefined when
// it succeeds. Tests assert on codes, never on message text; any other error propagates.

import { GeorepError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';

export function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GeorepError) return e.code;
    throw e;
  }
  return undefined;
}

export async function codeOfAsync(p: Promise<unknown>): Promise<ErrorCode | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GeorepError) return e.code;
    throw e;
  }
  return undefined;
}

/** The GeorepError a call throws, for tests that check its message or fields too. */
export function thrown(fn: () => unknown): GeorepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GeorepError) return e;
    throw e;
  }
  throw new Error('expected a GeorepError, nothing was thrown');
}
