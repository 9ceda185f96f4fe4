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
 * Decodes a wire name to its raw bytes and checks it is one path component:
 * not '', '.', '..', no '/' or NUL (BAD_NAME), at most LIMITS.nameBytes bytes (NAME_TOO_LONG).
 */
export function decodeName(wire: string, what = 'name'): Buffer {
  // Each decoded byte takes at most 3 wire characters: a longer string cannot fit, so skip decoding it.
  if (wire.length > 3 * LIMITS.nameBytes)
    throw new GeorepError('NAME_TOO_LONG', `${what} is over ${LIMITS.nameBytes} bytes`);
  const raw = decode(wire, what);
  if (raw.length > LIMITS.nameBytes)
    throw new GeorepError('NAME_TOO_LONG', `${what} is ${raw.length} bytes, over ${LIMITS.nameBytes}`);
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
  if (wire.length > 3 * LIMITS.pathBytes)
    throw new GeorepError('PATH_TOO_LONG', `${what} is over ${LIMITS.pathBytes} bytes`);
  const raw = decode(wire, what);
  if (raw.length > LIMITS.pathBytes)
    throw new GeorepError('PATH_TOO_LONG', `${what} is ${raw.length} bytes, over ${LIMITS.pathBytes}`);
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
  if (wire.length > 3 * LIMITS.pathBytes)
    throw new GeorepError('PATH_TOO_LONG', `${what} is over ${LIMITS.pathBytes} bytes`);
  const plain = plainPath(wire);
  if (plain !== undefined) return plain;
  const parts = wire.split('/').map((c, i) => decodeName(c, `${what} component ${i}`));
  const raw = Buffer.concat(parts.flatMap((c, i) => (i === 0 ? [c] : [SLASH, c])));
  if (raw.length > LIMITS.pathBytes)
    throw new GeorepError('PATH_TOO_LONG', `${what} is ${raw.length} bytes, over ${LIMITS.pathBytes}`);
  return raw;
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
