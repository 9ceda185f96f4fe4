// verify's output: one JSON line per entry examined, then one closing line with the totals
// (after Tahoe's streaming deep-check, seed 002). Lines hold no raw newline, so a consumer
// splits on '\n'; paths use the name codec, so any byte name round-trips. repair reads them back.

import { displayPath, isGfid, unescapeName } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import type { EntryKind } from '../slave/protocol.js';
import { ENTRY_KINDS } from '../slave/protocol.js';
import { VERDICTS } from './verdict.js';
import type { Divergence, Verdict } from './verdict.js';

export interface EntryLine {
  /** Relative to the roots, each component escaped with the name codec; '.' is the root. */
  readonly path: string;
  /** The master's gfid for the entry (its session index), null when it has none (extras too). */
  readonly gfid: Gfid | null;
  readonly verdict: Verdict;
  /** What the entry is on the master (on the slave for an extra). */
  readonly type: EntryKind;
  /** For a divergence: what each side has. */
  readonly master?: string;
  readonly slave?: string;
}

/**
 * Where a directory's lines go, in name order. Awaited: a slow reader (a pipe of --json lines)
 * slows the walk, and memory holds no more than one directory's lines.
 */
export type LineSink = (lines: readonly EntryLine[]) => Promise<void>;

/** Counts of one verify run (a resumed run includes what was counted before the interruption). */
export type Totals = { [V in Verdict]: number } & {
  /** Entries with a line. */
  examined: number;
  /** Entries not examined by design: master sockets, devices for a non-root agent, .georep. */
  skipped: number;
  /** Entries left out by --sample. */
  unsampled: number;
  /** Directories walked. */
  dirs: number;
  /** File bytes hashed on the master (as many on the slave). */
  hashedBytes: number;
};

export interface DoneLine {
  readonly done: true;
  readonly divergent: number;
  readonly totals: Totals;
  readonly seconds: number;
  readonly checksum: boolean;
  readonly sample: number;
  readonly resumed: boolean;
}

export function emptyTotals(): Totals {
  const t = { examined: 0, skipped: 0, unsampled: 0, dirs: 0, hashedBytes: 0 } as Totals;
  for (const v of VERDICTS) t[v] = 0;
  return t;
}

export const divergentOf = (t: Totals): number => t.examined - t.ok;

export const pathText = (rel: Buffer): string => displayPath(rel);

/** Raw bytes of a line's path ('.' is the root: empty). Throws USAGE on a malformed path. */
export function pathBytes(path: string): Buffer {
  if (path === '.') return Buffer.alloc(0);
  try {
    const parts = path.split('/').map((c) => {
      const raw = unescapeName(c);
      if (raw.length === 0 || (raw.length <= 2 && raw.every((b) => b === 0x2e))) throw new Error('bad component');
      return raw;
    });
    return Buffer.concat(parts.flatMap((c, i) => (i === 0 ? [c] : [Buffer.from('/'), c])));
  } catch (e) {
    throw new GeorepError('USAGE', `verify line path ${JSON.stringify(path.slice(0, 80))} is not a valid path`, {
      cause: e,
    });
  }
}

export const isDivergence = (v: Verdict): v is Divergence => v !== 'ok';

/** One line read back (repair): an entry, the closing line, or a USAGE error naming what is wrong. */
export function parseLine(text: string, lineNo: number): EntryLine | DoneLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new GeorepError('USAGE', `line ${lineNo} is not JSON; give repair the output of georep verify --json`, {
      cause: e,
    });
  }
  const bad = (what: string): never => {
    throw new GeorepError('USAGE', `line ${lineNo} is not a verify line: ${what}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('not an object');
  const f = v as Record<string, unknown>;
  if (f['done'] === true) return f as unknown as DoneLine;
  const { path, gfid, verdict, type } = f;
  if (typeof path !== 'string') return bad('no path');
  if (typeof verdict !== 'string' || !(VERDICTS as readonly string[]).includes(verdict)) return bad('no verdict');
  if (typeof type !== 'string' || !(ENTRY_KINDS as readonly string[]).includes(type)) return bad('no type');
  if (gfid !== null && (typeof gfid !== 'string' || !isGfid(gfid))) return bad('bad gfid');
  pathBytes(path);
  return { path, gfid, verdict: verdict as Verdict, type: type as EntryKind };
}

export const formatLine = (line: EntryLine | DoneLine): string => JSON.stringify(line);
