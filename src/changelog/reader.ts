// Changelog reading: finished changelog files of a directory in (ts, n) order, and the
// records of one file. Invariant: every record is returned exactly as written, or the read
// fails with CHANGELOG_MALFORMED naming file and line — a damaged file is never half-used.

import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { hasErrno } from '../errors.js';
import { compareChangelogNames, parseChangelogName } from './changelog-name.js';
import type { ChangelogName, ChangelogPrefix } from './changelog-name.js';
import { malformedRecord, parseRecord } from './format.js';
import { fsCall, ioError } from './fs-call.js';
import type { Change } from './record.js';

export interface ChangelogFile extends ChangelogName {
  /** Full path of the file. */
  readonly path: string;
  /** Base name, e.g. `CHANGELOG.1732270000.1`. */
  readonly name: string;
}

/** Published `<prefix>.*` files of `dir`, oldest first; [] when `dir` does not exist. */
export function listChangelogs(dir: string, prefix: ChangelogPrefix): ChangelogFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return [];
    throw ioError('listing changelogs in', dir, e);
  }
  const files: ChangelogFile[] = [];
  for (const name of names) {
    const parsed = parseChangelogName(name);
    if (parsed?.prefix === prefix) files.push({ ...parsed, name, path: path.join(dir, name) });
  }
  return files.sort(compareChangelogNames);
}

/** Every record of one changelog file, in order. */
export function readChangelog(file: string): Change[] {
  const buf = fsCall('reading changelog', file, () => fs.readFileSync(file));
  const changes: Change[] = [];
  let start = 0;
  for (let lineNo = 1; start < buf.length; lineNo++) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    const bytes = buf.subarray(start, end);
    // escapeName writes only valid UTF-8, and a lenient decode would turn damage into U+FFFD
    // name bytes that then round-trip as a different, wrong name.
    if (!isUtf8(bytes)) {
      throw malformedRecord(file, lineNo, bytes.toString('latin1'), 'bytes that are not UTF-8');
    }
    const line = bytes.toString('utf8');
    // Every record ends in '\n': a last line without one is a torn write, and parsing it could
    // yield a plausible but truncated name.
    if (nl < 0) throw malformedRecord(file, lineNo, line, 'an unterminated last line');
    changes.push(parseRecord(line, file, lineNo));
    start = nl + 1;
  }
  return changes;
}
