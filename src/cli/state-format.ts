// Session state format: which layout of session folder (index schema, session options,
// changelogs, status files) a folder holds, in `<session>/state-format.json`. Invariant: a
// georep opens a folder of its own format or an older one in place, and refuses a newer one
// with one line before it reads or writes anything in it (an older georep must never
// misread, quarantine or rewrite state a newer one wrote).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError, hasErrno } from '../errors.js';
import { writeFileAtomic } from '../atomic-file.js';
import { packageVersion } from './package-info.js';
import { SESSION_FILES } from '../session-files.js';

/**
 * The state format this georep writes. Format 1 is everything georep 0.1.0 writes: gfid index
 * schema 1 to 4 (older schemas are migrated in place when the index opens), georep.conf as
 * key=value lines, session.json version 1, GlusterFS-format changelogs. A folder without a
 * marker was written before markers existed (0.1.0) and is format 1.
 *
 * Bump it when a change to any of those would be misread by the georep before it, and add the
 * step that upgrades a folder of the previous format to UPGRADES.
 */
export const STATE_FORMAT = 1;

/** Upgrades of a session folder from format `n` (key) to `n + 1`, run in order on open. None yet. */
const UPGRADES: Readonly<Record<number, (sessionDir: string) => void>> = {};

export interface StateMarker {
  readonly format: number;
  /** The georep version that wrote the marker (shown when a newer folder is refused). */
  readonly georep: string;
}

/**
 * Refuses a session folder written by a newer georep, with what to do; upgrades an older one in
 * place; writes the marker where it is missing. Does nothing for a folder that does not exist
 * yet (ensureSessionDir marks it when it creates it).
 */
export function openStateFormat(sessionDir: string, version = packageVersion()): void {
  const marker = readStateMarker(sessionDir);
  if (marker === 'no-folder') return;
  const format = marker?.format ?? 1;
  if (format > STATE_FORMAT) {
    throw new GeorepError(
      'STATE_TOO_NEW',
      `session folder ${sessionDir} was written by georep ${marker?.georep ?? 'unknown'} (state format ${format}); ` +
        `georep ${version} reads format ${STATE_FORMAT} and older: upgrade georep to ${marker?.georep ?? 'that version'} or newer, ` +
        `or remove the folder to start the session over (a full resync)`,
      { path: sessionDir },
    );
  }
  for (let f = format; f < STATE_FORMAT; f++) {
    const step = UPGRADES[f];
    if (step === undefined) throw new Error(`no upgrade of session state from format ${f}`); // a bug: see UPGRADES
    step(sessionDir);
  }
  if (marker === undefined || format < STATE_FORMAT) writeStateMarker(sessionDir, version);
}

/** Marks a new (or just upgraded) session folder as holding this georep's format. */
export function writeStateMarker(sessionDir: string, version = packageVersion()): void {
  const marker: StateMarker = { format: STATE_FORMAT, georep: version };
  writeFileAtomic(join(sessionDir, SESSION_FILES.stateFormat), `${JSON.stringify(marker)}\n`);
}

/** The marker; undefined when the folder has none; 'no-folder' when the folder does not exist. */
export function readStateMarker(sessionDir: string): StateMarker | undefined | 'no-folder' {
  const file = join(sessionDir, SESSION_FILES.stateFormat);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return existsSync(sessionDir) ? undefined : 'no-folder';
    throw new GeorepError('IO_ERROR', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, {
      path: file,
      cause: e,
    });
  }
  const bad = (): GeorepError =>
    new GeorepError(
      'STATE_CORRUPT',
      `${file} is not a georep state marker; restore it (a georep 0.1.0 folder needs none: delete it) or remove the session folder`,
      { path: file },
    );
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad();
  }
  if (typeof v !== 'object' || v === null || !('format' in v) || !Number.isSafeInteger(v.format)) throw bad();
  const format = v.format as number;
  if (format < 1) throw bad();
  const georep = 'georep' in v && typeof v.georep === 'string' ? v.georep : 'unknown';
  return { format, georep };
}
