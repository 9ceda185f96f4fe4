// Reading a small JSON state file that may not be there yet. Invariant: a missing file and a
// torn or foreign one (not JSON) read as "none"; any other failure to read it is thrown, since
// the file may be there and saying something.

import fs from 'node:fs';
import { hasErrno } from './errors.js';

/** The JSON value in `file`; undefined when there is no file or its text is not JSON. */
export function readJsonIfAny(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}
