// Session values: the options one session overrides, kept in `<session>/georep.conf` as plain
// INI `key=value` lines. Invariant: saved atomically, and every value reads back exactly as
// written (values that INI would mangle are written JSON-quoted, which ini decodes).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ini from 'ini';
import { GeorepError, hasErrno } from '../errors.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { RawValue } from './values.js';
import { SESSION_FILES } from '../session-files.js';

const HEADER = '# georep session options; change them with `georep config MASTER SLAVE KEY VALUE`.\n';

export const sessionConfPath = (sessionDir: string): string => join(sessionDir, SESSION_FILES.conf);

/** The session's saved values (null-prototype); none when the session has no file yet. */
export function readSessionValues(sessionDir: string): Record<string, RawValue> {
  const path = sessionConfPath(sessionDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return Object.create(null) as Record<string, RawValue>;
    throw new GeorepError('IO_ERROR', `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      path,
      cause: e,
    });
  }
  const parsed: Record<string, unknown> = ini.parse(text);
  const out = Object.create(null) as Record<string, RawValue>;
  for (const key of Object.keys(parsed)) {
    const v = parsed[key];
    if (typeof v !== 'string' && typeof v !== 'boolean') {
      throw new GeorepError(
        'CONFIG_INVALID',
        `${path}: "${key}" must be a plain key=value line (no sections or arrays); fix or delete the file`,
        { path },
      );
    }
    out[key] = v;
  }
  return out;
}

/** Replaces the session file with exactly these values, atomically. */
export function writeSessionValues(sessionDir: string, values: Readonly<Record<string, string>>): void {
  writeFileAtomic(sessionConfPath(sessionDir), encodeSessionValues(values));
}

export function encodeSessionValues(values: Readonly<Record<string, string>>): string {
  const lines = Object.keys(values).map((k) => `${k}=${encodeValue(values[k] ?? '')}`);
  return HEADER + lines.map((l) => `${l}\n`).join('');
}

/**
 * ini.parse trims values, cuts them at an unescaped ';' or '#', treats a leading '[' or quotes
 * specially and splits lines on CR/LF; anything exposed to that is written as a JSON string,
 * which ini.parse JSON-decodes. Everything else is written as is, for a readable file.
 */
function encodeValue(v: string): string {
  const plain = v === v.trim() && !/[;#"'\\\r\n]/.test(v) && !v.startsWith('[');
  return plain ? v : JSON.stringify(v);
}
