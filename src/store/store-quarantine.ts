// Store quarantine: the one corruption check and the one quarantine routine of georep's SQLite
// stores (the master's session index and the slave agent's index). Invariant: a store SQLite
// calls corrupt is never repaired in place and never fatal: it is moved aside (with its -wal
// and -shm) under a timestamped name when it is next opened, and an empty one takes its place;
// the caller rebuilds it (the master by a crawl, the slave by adopting its tree again).

import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { GeorepError, hasErrno, isGeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { fsCall, ioError } from '../changelog/index.js';

/** The structured log event (`event` field) that names a quarantined store. */
export const QUARANTINE_EVENT = 'state_quarantined';

/**
 * Next to a store met corrupt while open (`<path>.condemned`): the next open moves the store
 * aside without trusting it. Needed because a process that meets corruption mid-run cannot move
 * a file others have open (the recorder and the worker share the session index), and because
 * `PRAGMA quick_check` does not see every damage a query can meet (an index out of step with its
 * table: SQLITE_CORRUPT_INDEX).
 */
export const CONDEMNED_SUFFIX = '.condemned';

/** The companions SQLite keeps beside a WAL database; they move with it. */
const COMPANIONS = ['-wal', '-shm'] as const;

/**
 * True when SQLite says the file is damaged or is not a database (every SQLITE_CORRUPT* extended
 * code: _VTAB, _SEQUENCE, _INDEX; and SQLITE_NOTADB), or georep found its content unusable
 * (STATE_CORRUPT).
 */
export function isCorruption(e: unknown): boolean {
  if (isGeorepError(e)) return e.code === 'STATE_CORRUPT';
  if (!(e instanceof Database.SqliteError)) return false;
  return e.code.startsWith('SQLITE_CORRUPT') || e.code === 'SQLITE_NOTADB';
}

/** One line saying what was wrong: SQLite's code and message, or georep's. */
export function corruptionCause(e: unknown): string {
  if (e instanceof Database.SqliteError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * `PRAGMA quick_check` (a structural check of every page, without the index-against-table
 * cross-check of integrity_check: linear in the file's size) at open; STATE_CORRUPT when it
 * finds anything. SQLite's own errors (a page it cannot even read) pass through, and
 * isCorruption says what they are.
 */
export function checkIntegrity(db: Database.Database, what: string, path: string): void {
  const rows = db.prepare('PRAGMA quick_check(1)').pluck().all() as unknown[];
  // One line: SQLite prefixes the first problem with "*** in database main ***" and a newline.
  const first = String(rows[0] ?? 'no answer')
    .replace(/\*\*\* in database \w+ \*\*\*\s*/g, '')
    .replace(/\s*\n\s*/g, '; ');
  if (first !== 'ok')
    throw new GeorepError('STATE_CORRUPT', `${what} ${path} fails SQLite's quick_check: ${first}`, { path });
}

/**
 * Marks the store at `path` corrupt for its next open and returns the error to end this process
 * with: what happened, in one line, and that the next start rebuilds it. Writing the mark is
 * best effort (the disk may be what failed); without it the next open's quick_check decides.
 */
export function condemn(path: string, what: string, cause: unknown, shown = path): GeorepError {
  const why = corruptionCause(cause);
  try {
    fs.writeFileSync(path + CONDEMNED_SUFFIX, JSON.stringify({ cause: why }) + '\n', { mode: 0o600 });
  } catch {
    // Reported through the returned error either way; quick_check at the next open is the fallback.
  }
  return new GeorepError(
    'STATE_CORRUPT',
    `${what} ${shown} is corrupt (${why}); it is moved aside and rebuilt when georep next opens it: run the sync again (a daemon restarts by itself)`,
    { path: shown, cause },
  );
}

/** Why the store at `path` was condemned, or undefined when it was not. */
export function condemnedCause(path: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path + CONDEMNED_SUFFIX, 'utf8');
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return undefined;
    throw ioError('reading', path + CONDEMNED_SUFFIX, e);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && typeof (v as { cause?: unknown }).cause === 'string')
      return (v as { cause: string }).cause;
  } catch {
    // a torn mark still condemns
  }
  return 'marked corrupt by an earlier run';
}

/** `<ms>` as a UTC stamp that sorts and reads well in a file name: 20261206T145437.123Z. */
export function quarantineStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

/**
 * Moves `path` and its -wal/-shm to `<path>.corrupt-<stamp>[.<n>]` (never over an earlier one),
 * drops its condemned mark, and returns the new main path. The main file may be missing (a
 * mark left for a store already gone): its companions still go.
 */
export function quarantineFiles(path: string, nowMs: number, what = 'store'): string {
  const base = `${path}.corrupt-${quarantineStamp(nowMs)}`;
  let aside = base;
  for (let n = 1; fs.existsSync(aside); n++) aside = `${base}.${n}`;
  for (const suffix of ['', ...COMPANIONS]) {
    try {
      fs.renameSync(path + suffix, aside + suffix);
    } catch (e) {
      if (!hasErrno(e, 'ENOENT')) throw ioError(`quarantining ${what}`, path + suffix, e); // ENOENT: none
    }
  }
  fsCall(`quarantining ${what}`, path + CONDEMNED_SUFFIX, () => fs.rmSync(path + CONDEMNED_SUFFIX, { force: true }));
  return aside;
}

export interface QuarantineOptions {
  /** What the store is, for messages ('gfid index', 'slave index'). */
  readonly what: string;
  /** The path people know the store by, when `path` is another way to it (/proc/self/fd/N/…). */
  readonly shown?: string;
  /** Names the quarantined file. */
  readonly clock: Pick<Clock, 'nowMs'>;
  /** Where the quarantine event goes; none: the caller reports `quarantined` itself. */
  readonly log?: Logger;
  /** Called after the files moved aside and before the empty store is opened. */
  readonly onQuarantine?: (aside: string) => void;
}

export interface Opened<T> {
  readonly store: T;
  /** Where a corrupt store was moved (`<path>.corrupt-<stamp>`); undefined when it was sound. */
  readonly quarantined: string | undefined;
  /** Why it was (corruptionCause), when it was. */
  readonly cause: string | undefined;
}

/**
 * Opens the store at `path` with `open` (which connects and runs checkIntegrity). A store that
 * was condemned, or that SQLite or the check finds corrupt, is quarantined and `open` runs again
 * on an empty file. Anything else (EACCES, a newer schema, SQLITE_BUSY) goes up unchanged.
 */
export function openOrQuarantine<T>(path: string, open: () => T, opts: QuarantineOptions): Opened<T> {
  let cause = condemnedCause(path);
  if (cause === undefined) {
    try {
      return { store: open(), quarantined: undefined, cause: undefined };
    } catch (e) {
      if (!isCorruption(e)) throw e;
      cause = corruptionCause(e);
    }
  }
  const aside = quarantineFiles(path, opts.clock.nowMs(), opts.what);
  const shown = opts.shown ?? path;
  const shownAside = shown + aside.slice(path.length);
  opts.log?.warn(`${opts.what} ${shown} was corrupt (${cause}); moved it to ${shownAside} and rebuilding it`, {
    event: QUARANTINE_EVENT,
    store: opts.what,
    path: shown,
    quarantined: shownAside,
    cause,
  });
  opts.onQuarantine?.(aside);
  return { store: open(), quarantined: aside, cause };
}
