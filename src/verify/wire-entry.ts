// Names as verify writes them (on the wire and in its lines): escaped with the name codec, with
// a fast path for the common plain name.

import { escapeName } from '../changelog/index.js';

/**
 * escapeName, with a fast path for the common name of printable ASCII without '%' or '/' (which
 * escapeName leaves as it is): it builds its output a character at a time, and every entry of
 * a verify is named on the wire and in a line.
 */
export function wireName(name: Buffer): string {
  for (let i = 0; i < name.length; i++) {
    const b = name[i] as number;
    if (b <= 0x20 || b >= 0x7f || b === 0x25 || b === 0x2f) return escapeName(name);
  }
  return name.toString('latin1');
}
