// The master's side of a doubt: what the master file of an undelivered or unverified item is
// now. Gone means the item vanished (fine: its removal reaches the slave as an entry op);
// present means it must match what the slave committed, or the item failed.

import { lstat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { hasErrno } from '../errors.js';

export async function masterFile(sourceRoot: string, path: Buffer): Promise<BigIntStats | undefined> {
  try {
    return await lstat(Buffer.concat([Buffer.from(sourceRoot + '/'), path]), { bigint: true });
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
    throw e;
  }
}
