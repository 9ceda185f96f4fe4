// Record format: one Change as one changelog line (GlusterFS grammar, DESIGN.md) and back.
// Invariant: parseRecord(formatRecord(c)) deep-equals c, and parseRecord accepts nothing that
// formatRecord could not have written (a bad line is CHANGELOG_MALFORMED, never guessed at).

import { GeorepError, isGeorepError } from '../errors.js';
import { escapeName, unescapeName } from './name-codec.js';
import { nameProblem } from './name-check.js';
import { assertNever, isGfid } from './record.js';
import type { Change, EntryName, Gfid } from './record.js';

/** The line, no trailing newline. Throws BAD_NAME for a name no filesystem could hold. */
export function formatRecord(c: Change): string {
  switch (c.kind) {
    case 'D':
      return `D ${c.gfid}`;
    case 'M':
      return `M ${c.gfid} ${c.fop}`;
    case 'E':
      switch (c.fop) {
        case 'CREATE':
        case 'MKDIR':
        case 'MKNOD':
          return `E ${c.gfid} ${c.fop} ${u32(c.mode, c)} ${u32(c.uid, c)} ${u32(c.gid, c)} ${formatEntry(c.entry)}`;
        case 'LINK':
        case 'SYMLINK':
        case 'UNLINK':
        case 'RMDIR':
          return `E ${c.gfid} ${c.fop} ${formatEntry(c.entry)}`;
        case 'RENAME':
          return `E ${c.gfid} RENAME ${formatEntry(c.entry)} ${formatEntry(c.to)}`;
        default:
          return assertNever(c, 'entry fop');
      }
    default:
      return assertNever(c, 'change kind');
  }
}

/** mode/uid/gid as parseRecord reads them back: whole, 0 … 2^32-1. */
function u32(n: number, c: Change): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new GeorepError('CHANGELOG_MALFORMED', `cannot record ${c.gfid}: ${n} is not a 32-bit unsigned number`, {
      path: c.gfid,
    });
  }
  return String(n);
}

function formatEntry(e: EntryName): string {
  // Refuse at write time what parseRecord would refuse at read time: a changelog that cannot
  // be read back would stall every consumer behind it.
  const problem = nameProblem(e.name);
  if (problem !== undefined) {
    throw new GeorepError('BAD_NAME', `cannot record entry ${e.pargfid}/${escapeName(e.name)}: ${problem}`, {
      path: `${e.pargfid}/${escapeName(e.name)}`,
    });
  }
  return `${e.pargfid}/${escapeName(e.name)}`;
}

/** The error for a record that does not parse: says where, quotes the line, says what to do. */
export function malformedRecord(
  file: string,
  lineNo: number,
  line: string,
  what: string,
  cause?: unknown,
): GeorepError {
  const quoted = JSON.stringify(clip(line, 200));
  return new GeorepError(
    'CHANGELOG_MALFORMED',
    `${file}:${lineNo}: ${what} in record ${quoted}; move the file aside and run a full sync`,
    { path: file, cause },
  );
}

const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n) + '…' : s);

type Bad = (what: string, cause?: unknown) => GeorepError;

const UINT32_RE = /^(0|[1-9][0-9]{0,9})$/;

export function parseRecord(line: string, file: string, lineNo: number): Change {
  const bad: Bad = (what, cause) => malformedRecord(file, lineNo, line, what, cause);
  const f = line.split(' ');
  const gfid = (i: number): Gfid => {
    const s = f[i] ?? '';
    if (!isGfid(s)) throw bad(`bad gfid "${s.slice(0, 60)}"`);
    return s;
  };
  const fields = (n: number): void => {
    if (f.length !== n) throw bad(`${f.length} fields where ${n} were expected`);
  };
  switch (f[0]) {
    case 'D':
      fields(2);
      return { kind: 'D', gfid: gfid(1) };
    case 'M': {
      fields(3);
      const fop = f[2];
      if (fop !== 'SETATTR' && fop !== 'SETXATTR') throw bad(`unknown metadata fop "${fop ?? ''}"`);
      return { kind: 'M', gfid: gfid(1), fop };
    }
    case 'E':
      return parseEntryRecord(f, gfid, fields, bad);
    default:
      throw bad(`unknown record type "${(f[0] ?? '').slice(0, 20)}"`);
  }
}

function parseEntryRecord(
  f: readonly string[],
  gfid: (i: number) => Gfid,
  fields: (n: number) => void,
  bad: Bad,
): Change {
  const fop = f[2] ?? '';
  switch (fop) {
    case 'CREATE':
    case 'MKDIR':
    case 'MKNOD': {
      fields(7);
      const num = (i: number, what: string): number => {
        const s = f[i] ?? '';
        if (!UINT32_RE.test(s) || Number(s) > 0xffffffff) throw bad(`bad ${what} "${s.slice(0, 20)}"`);
        return Number(s);
      };
      return {
        kind: 'E',
        gfid: gfid(1),
        fop,
        mode: num(3, 'mode'),
        uid: num(4, 'uid'),
        gid: num(5, 'gid'),
        entry: parseEntry(f[6] ?? '', bad),
      };
    }
    case 'LINK':
    case 'SYMLINK':
    case 'UNLINK':
    case 'RMDIR':
      fields(4);
      return { kind: 'E', gfid: gfid(1), fop, entry: parseEntry(f[3] ?? '', bad) };
    case 'RENAME':
      fields(5);
      return { kind: 'E', gfid: gfid(1), fop, entry: parseEntry(f[3] ?? '', bad), to: parseEntry(f[4] ?? '', bad) };
    default:
      throw bad(`unknown entry fop "${fop.slice(0, 20)}"`);
  }
}

/** `<pargfid>/<ename>`, split at the first '/': escapeName writes '/' as %2F. */
function parseEntry(s: string, bad: Bad): EntryName {
  const slash = s.indexOf('/');
  if (slash < 0) throw bad(`entry "${s.slice(0, 60)}" is not <pargfid>/<name>`);
  const pargfid = s.slice(0, slash);
  if (!isGfid(pargfid)) throw bad(`bad parent gfid "${pargfid.slice(0, 60)}"`);
  let name: Buffer;
  try {
    name = unescapeName(s.slice(slash + 1));
  } catch (e) {
    if (isGeorepError(e) && e.code === 'CHANGELOG_MALFORMED') throw bad(clip(e.message, 120), e);
    throw e;
  }
  const problem = nameProblem(name);
  if (problem !== undefined) throw bad(`bad name (${problem})`);
  return { pargfid, name };
}
