// The farm check: does <farmDir>/<gfid> still lead to a file on the master? A gfid the
// transfer did not deliver is "vanished" (fine) when it does not, and failed when it does.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gfid } from '../changelog/index.js';
import { hasErrno } from '../errors.js';

/** False when the link dangles (the master file was deleted or renamed away since the farm was built). */
export async function farmTargetExists(farmDir: string, gfid: Gfid): Promise<boolean> {
  try {
    await stat(join(farmDir, gfid)); // stat follows the link: its target is what we ask about
    return true;
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return false;
    throw e;
  }
}
