// Seed copy, the slave's part: a first sync into an empty local slave copies the master's tree
// with the system's copier instead of file by file (src/master/seed-copy.ts). The copy lands in
// <root>/.georep/seed, hidden, and is moved into the root only once it is complete, so no reader
// of the slave ever sees a half-written file. Invariant: seeding happens only into a slave that
// holds nothing (empty index, nothing in the root but .georep): every entry it leaves there is
// the master's, which is what lets `adopt` trust them.

import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { RESERVED_NAME } from './confine.js';
import type { Methods } from './protocol.js';

type Result<M extends 'seedBegin' | 'seedCommit'> = Methods[M]['result'];

/** <root>/.georep/seed: beside staging/ and tmp/. */
export function seedDirOf(ctx: SlaveContext): string {
  return join(dirname(ctx.stagingDir), 'seed');
}

/** Names in the root besides the state folder. */
function rootEntries(ctx: SlaveContext): Buffer[] {
  return readdirSync(ctx.confine.root, { encoding: 'buffer' }).filter((n) => !n.equals(RESERVED_NAME));
}

export function seedBegin(ctx: SlaveContext): Result<'seedBegin'> {
  const dir = seedDirOf(ctx);
  rmSync(dir, { recursive: true, force: true }); // a leftover of an interrupted seed copy
  ctx.seed = 'none';
  if (!ctx.index.isEmpty()) return { dir: null, reason: 'the slave already holds replicated entries' };
  const present = rootEntries(ctx).length;
  if (present > 0) return { dir: null, reason: `the slave root already holds ${present} entries` };
  mkdirSync(dir, { mode: 0o700 });
  ctx.seed = 'copying';
  ctx.log.info('seed copy: the slave is empty, the master copies its tree into the seed folder', { dir });
  return { dir, reason: '' };
}

export function seedCommit(ctx: SlaveContext): Result<'seedCommit'> {
  if (ctx.seed !== 'copying') throw new GeorepError('BAD_REQUEST', 'seedCommit without seedBegin on this connection');
  const dir = seedDirOf(ctx);
  const present = rootEntries(ctx).length;
  if (present > 0) {
    seedAbort(ctx);
    throw new GeorepError(
      'ENTRY_CONFLICT',
      `the slave root ${ctx.confine.root} gained ${present} entries during the seed copy; something else writes there. The copy was dropped: the sync goes on file by file`,
    );
  }
  let moved = 0;
  for (const name of readdirSync(dir, { encoding: 'buffer' })) {
    const from = Buffer.concat([Buffer.from(dir + '/'), name]);
    // A .georep at the master's top is never replicated (the crawl skips it too).
    if (name.equals(RESERVED_NAME)) rmSync(from, { recursive: true, force: true });
    else {
      renameSync(from, Buffer.concat([Buffer.from(ctx.confine.root + '/'), name]));
      moved++;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  ctx.confine.invalidate();
  ctx.seed = 'adopting';
  ctx.log.info('seed copy moved into the slave root', { entries: moved });
  return { moved };
}

export function seedAbort(ctx: SlaveContext): void {
  rmSync(seedDirOf(ctx), { recursive: true, force: true });
  ctx.seed = 'none';
}
