// Wire envelope: one JSON object per line, {id, method, params} → {id, result} | {id, error}.
// Invariant: what crosses the wire is plain data; errors travel as WireError (code, message,
// path), never with stacks or class names, and are rebuilt as GeorepError on the client.

import { ERROR_CODES, GeorepError, errnoOf, isGeorepError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { UNKNOWN_REQUEST_ID, isMethodName } from './protocol.js';
import { show } from './quote.js';
import type { MethodName, WireError } from './protocol.js';

export interface RawRequest {
  readonly id: number;
  readonly method: MethodName;
  readonly params: unknown;
}

export type RawResponse =
  { readonly id: number; readonly result: unknown } | { readonly id: number; readonly error: WireError };

function isObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The id of a request line whose body could not be used (oversize or malformed), if readable. */
export function salvageId(head: string): number {
  const m = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(head);
  return m?.[1] === undefined ? UNKNOWN_REQUEST_ID : Number(m[1]);
}

/** A request line that cannot be served, with the id to answer it under. */
export interface RejectedRequest {
  readonly id: number;
  readonly error: GeorepError;
}

/** Parses one request line's envelope (params are validated later, per method). */
export function parseRequest(line: string): RawRequest | RejectedRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { id: salvageId(line), error: new GeorepError('BAD_REQUEST', `request is not valid JSON: ${e.message}`) };
  }
  if (!isObject(v))
    return { id: UNKNOWN_REQUEST_ID, error: new GeorepError('BAD_REQUEST', 'request must be a JSON object') };
  const { id, method, params } = v;
  if (!isId(id))
    return {
      id: UNKNOWN_REQUEST_ID,
      error: new GeorepError('BAD_REQUEST', 'request id must be a non-negative integer'),
    };
  if (!isMethodName(method)) return { id, error: new GeorepError('BAD_REQUEST', `unknown method ${show(method)}`) };
  return { id, method, params };
}

export const isRejected = (r: RawRequest | RejectedRequest): r is RejectedRequest => 'error' in r;

/** The wire form of an error. GeorepError keeps its code; a system error sends its errno name. */
export function toWireError(e: unknown): WireError {
  if (isGeorepError(e))
    return e.path === undefined
      ? { code: e.code, message: e.message }
      : { code: e.code, message: e.message, path: e.path };
  const errno = errnoOf(e);
  const message = e instanceof Error ? e.message : String(e);
  return { code: errno ?? 'IO_ERROR', message };
}

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/** Rebuilds a GeorepError from a wire error: its code if known, else IO_ERROR with the errno. */
export function fromWireError(w: WireError): GeorepError {
  const opts = w.path === undefined ? {} : { path: w.path };
  if (isErrorCode(w.code)) return new GeorepError(w.code, w.message, opts);
  return new GeorepError('IO_ERROR', w.message, { ...opts, errno: w.code });
}

/** Parses one reply line; undefined when it is not a reply (noise on the channel). */
export function parseResponse(line: string): RawResponse | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  if (!isObject(v) || typeof v['id'] !== 'number') return undefined;
  const id = v['id'];
  if ('result' in v) return { id, result: v['result'] };
  const err = v['error'];
  if (!isObject(err) || typeof err['code'] !== 'string' || typeof err['message'] !== 'string') return undefined;
  const path = err['path'];
  const error: WireError =
    typeof path === 'string'
      ? { code: err['code'], message: err['message'], path }
      : { code: err['code'], message: err['message'] };
  return { id, error };
}
