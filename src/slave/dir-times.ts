// keepDirTimes: the agent's own housekeeping (creating .georep, purging unknown entries) must
// not show on the replica, so a directory's atime/mtime are put back after it.

import { lstatSync, utimesSync } from 'node:fs';
import { nsToUtimeSeconds } from './meta-ops.js';

export function keepDirTimes<T>(dir: string | Buffer, fn: () => T): T {
  const before = lstatSync(dir, { bigint: true });
  const result = fn();
  const after = lstatSync(dir, { bigint: true });
  if (after.mtimeNs !== before.mtimeNs) {
    // Node sets times to the microsecond (see meta-ops.ts).
    utimesSync(dir, nsToUtimeSeconds(before.atimeNs), nsToUtimeSeconds(before.mtimeNs));
  }
  return result;
}
