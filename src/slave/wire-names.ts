// Wire names: decoding and checking the escaped names, symlink targets and paths that cross the
// slave protocol (WireName, WirePath). Invariant: a decoded name is one path component ('' '.'
// '..' '/' NUL refused, BAD_NAME) of at most LIMITS.nameBytes; a path stays inside its root.

import { nameProblem, unescapeName } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import { LIMITS } from './limits.js';
import { show } from './quote.js';

const BYTE_NUL = 0x00;

function decode(wire: string, what: string): Buffer {
  try {
    return unescapeName(wire);
  } catch (e) {
    // The codec reports malformed escapes as CHANGELOG_MALFORMED; on the wire that is a bad name.
    throw new GeorepError('BAD_NAME', `${what} ${show(wire)} is not a valid escaped name`, { cause: e });
  }
}

/**
 * `wire` decoded by `decodeAll`, refused with `code` when it comes to more than `maxBytes` bytes.
 * Each decoded byte takes at most 3 wire characters: a longer string cannot fit, so it is not decoded.
 */
function decodeWithin(
  wire: string,
  what: string,
  maxBytes: number,
  code: 'NAME_TOO_LONG' | 'PATH_TOO_LONG',
  decodeAll: (wire: string) => Buffer,
): Buffer {
  if (wire.length > 3 * maxBytes) throw new GeorepError(code, `${what} is over ${maxBytes} bytes`);
  const raw = decodeAll(wire);
  if (raw.length > maxBytes) throw new GeorepError(code, `${what} is ${raw.length} bytes, over ${maxBytes}`);
  return raw;
}

/**
 * Decodes a wire name to its raw bytes and checks it is one path component:
 * not '', '.', '..', no '/' or NUL (BAD_NAME), at most LIMITS.nameBytes bytes (NAME_TOO_LONG).
 */
export function decodeName(wire: string, what = 'name'): Buffer {
  const raw = decodeWithin(wire, what, LIMITS.nameBytes, 'NAME_TOO_LONG', (w) => decode(w, what));
  checkComponent(raw, what);
  return raw;
}

/** Throws BAD_NAME unless `raw` is usable as one path component. */
export function checkComponent(raw: Buffer, what = 'name'): void {
  const problem = nameProblem(raw);
  if (problem !== undefined) {
    throw new GeorepError(
      'BAD_NAME',
      `${what} ${show(raw.toString('latin1'))} is not a single path component: ${problem}`,
    );
  }
}

/** Decodes a symlink target: any bytes but NUL, not empty, at most LIMITS.pathBytes. */
export function decodeTarget(wire: string, what = 'target'): Buffer {
  const raw = decodeWithin(wire, what, LIMITS.pathBytes, 'PATH_TOO_LONG', (w) => decode(w, what));
  if (raw.length === 0 || raw.includes(BYTE_NUL)) throw new GeorepError('BAD_NAME', `${what} is empty or holds NUL`);
  return raw;
}

/** Characters escapeName never leaves raw in a name, and '%' (an escape needs decoding). */
const NOT_PLAIN_NAME = /[\u0000-\u0020\u007f%/]/u;

/**
 * decodeName's checks without decoding, for the common plain name: both ends validate every
 * name of every batch, and a Buffer per name was a measurable share of a large sync.
 */
export function checkName(wire: string, what = 'name'): void {
  const plain =
    wire !== '' &&
    wire !== '.' &&
    wire !== '..' &&
    wire.length <= LIMITS.nameBytes &&
    !NOT_PLAIN_NAME.test(wire) &&
    wire.isWellFormed() &&
    Buffer.byteLength(wire) <= LIMITS.nameBytes;
  if (!plain) decodeName(wire, what); // anything else gets the full check and its precise error
}

/**
 * Decodes a WirePath to raw bytes: one or more valid components (decodeName each) joined by
 * '/', at most LIMITS.pathBytes. Never absolute, never '.' or '..': it stays inside its box.
 */
export function decodePath(wire: string, what = 'path'): Buffer {
  return decodeWithin(wire, what, LIMITS.pathBytes, 'PATH_TOO_LONG', (w) => {
    const plain = plainPath(w);
    if (plain !== undefined) return plain;
    const parts = w.split('/').map((c, i) => decodeName(c, `${what} component ${i}`));
    return Buffer.concat(parts.flatMap((c, i) => (i === 0 ? [c] : [SLASH, c])));
  });
}
const SLASH = Buffer.from('/');

/** Characters escapeName never leaves raw (besides '/', the separator here), and '%'. */
const NOT_PLAIN = /[\u0000-\u0020\u007f%]|\/\/|^\/|\/$|(?:^|\/)\.\.?(?:\/|$)/u;

/**
 * The common case at full speed: a path with no escapes and no empty, '.' or '..' component is
 * its own UTF-8 bytes. undefined sends anything else through the component-wise decoder.
 */
function plainPath(wire: string): Buffer | undefined {
  if (wire === '' || NOT_PLAIN.test(wire) || !wire.isWellFormed()) return undefined;
  const raw = Buffer.from(wire, 'utf8');
  if (raw.length > LIMITS.pathBytes) return undefined;
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i < raw.length && raw[i] !== 0x2f) continue;
    if (i - start > LIMITS.nameBytes) return undefined;
    start = i + 1;
  }
  return raw;
}

/** A directory as listDir and hashFiles name it: '' for the root, else a WirePath. */
export function decodeDirPath(wire: string, what = 'dir'): Buffer {
  return wire === '' ? Buffer.alloc(0) : decodePath(wire, what);
}
