// Name codec: how raw name bytes are written in changelog records and on the RPC wire.
// Lossless for any byte string: bytes that would break a space-separated, line-based record
// (controls, space, '%', '/', DEL) and bytes that are not part of valid UTF-8 become %XX;
// everything else stays literal, so ordinary names stay readable. Space and newline come out
// as %20 and %0A, as in GlusterFS changelogs.

import { GeorepError } from '../errors.js';

const HEX = '0123456789ABCDEF';

function mustEscape(b: number): boolean {
  return b <= 0x20 || b === 0x25 || b === 0x2f || b === 0x7f;
}

/** Length of the valid UTF-8 sequence starting at i (0 if the bytes there are not valid UTF-8). */
function utf8SeqLen(buf: Buffer, i: number): number {
  const b0 = buf[i] ?? 0;
  if (b0 < 0x80) return 1;
  let len: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) [len, min] = [2, 0x80];
  else if (b0 >= 0xe0 && b0 <= 0xef) [len, min] = [3, 0x800];
  else if (b0 >= 0xf0 && b0 <= 0xf4) [len, min] = [4, 0x10000];
  else return 0;
  if (i + len > buf.length) return 0;
  let cp = b0 & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    const b = buf[i + k] ?? 0;
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

export function escapeName(name: Buffer): string {
  // Literal bytes are decoded a run at a time: one toString per character made escaping the
  // paths of a 500-file batch cost the worker 0.1 s.
  let out = '';
  let run = 0; // where the literal run being gathered began
  let i = 0;
  while (i < name.length) {
    const b = name[i] ?? 0;
    if (b < 0x80 && !mustEscape(b)) {
      i += 1;
      continue;
    }
    const seq = mustEscape(b) ? 0 : utf8SeqLen(name, i);
    if (seq > 0) {
      i += seq;
      continue;
    }
    if (run < i) out += name.toString('utf8', run, i);
    out += '%' + HEX[b >> 4] + HEX[b & 15];
    i += 1;
    run = i;
  }
  if (run === 0) return name.toString('utf8');
  return run < name.length ? out + name.toString('utf8', run) : out;
}

/** Inverse of escapeName. Throws CHANGELOG_MALFORMED on a bad %-escape or a raw space/'/'. */
export function unescapeName(s: string): Buffer {
  if (!s.includes('%')) {
    checkLiteral(s, s);
    return Buffer.from(s, 'utf8');
  }
  const parts: Buffer[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c !== '%') {
      lit += c;
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      throw new GeorepError('CHANGELOG_MALFORMED', `bad %-escape "${s.slice(i, i + 3)}" in name "${s}"`);
    }
    if (lit !== '') {
      checkLiteral(lit, s);
      parts.push(Buffer.from(lit, 'utf8'));
      lit = '';
    }
    parts.push(Buffer.of(parseInt(hex, 16)));
    i += 2;
  }
  if (lit !== '') {
    checkLiteral(lit, s);
    parts.push(Buffer.from(lit, 'utf8'));
  }
  return Buffer.concat(parts);
}

function checkLiteral(lit: string, whole: string): void {
  // escapeName never leaves these raw; a record holding one was not written by us.
  if (/[\u0000-\u0020\u007f/]/u.test(lit)) {
    throw new GeorepError('CHANGELOG_MALFORMED', `name "${whole}" holds a character that must be %-escaped`);
  }
  // Lone surrogates cannot come from escapeName and would not survive a UTF-8 round trip.
  if (!lit.isWellFormed()) {
    throw new GeorepError('CHANGELOG_MALFORMED', `name "${whole}" holds an unpaired surrogate`);
  }
}
