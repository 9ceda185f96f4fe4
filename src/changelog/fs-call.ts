// fsCall: the one place changelog code turns a failed fs call into a GeorepError. Only errors
// that carry an errno are translated (IO_ERROR, errno kept); anything else is a bug and passes.

import { GeorepError, errnoOf } from '../errors.js';

/** `e` as IO_ERROR naming the call and the path when it is an errno failure, else `e` itself. */
export function ioError(what: string, p: string, e: unknown): unknown {
  if (errnoOf(e) === undefined) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new GeorepError('IO_ERROR', `${what} ${p} failed (${detail}); check free space and permissions`, {
    path: p,
    cause: e,
  });
}

export function fsCall<T>(what: string, p: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioError(what, p, e);
  }
}
