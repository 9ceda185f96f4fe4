// Seed copy, the slave's part: a first sync into an empty local slave copies the master's tree
// with the system's copier instead of file by file (src/master/seed-copy.ts). The copy lands in
// <root>/.georep/seed, hidden, and is moved into the root only once it is complete, so no reader
// of the slave ever sees a half-written file. Invariants: seeding happens only into a slave that
// holds nothing (empty index, nothing in the root but .georep): every entry it leaves there is
// the master's, which is what lets `adopt` trust them; the agent reaches the seed folder by
// descriptor from the root on every request, and moves each entry with renameat.

import { join } from 'node:path';
import { GeorepError } from '../errors.js';
import type { SlaveContext } from './context.js';
import { RESERVED_NAME } from './confine.js';
import type { Methods } from './protocol.js';
import { removeTree } from './remove-tree.js';
import { SLAVE_STATE_FILES } from '../session-files.js';

type Result<M extends 'seedBegin' | 'seedCommit'> = Methods[M]['result'];

const SEED = SLAVE_STATE_FILES.seed;

/** <root>/.georep/seed, for the master's copier (which writes by path, as rsync does). */
export function seedDirOf(ctx: SlaveContext): string {
  return join(ctx.confine.root, RESERVED_NAME.toString(), SEED);
}

/** Names in the root besides the state folder. */
function rootEntries(ctx: SlaveContext): Buffer[] {
  return ctx.fs.readdir(ctx.confine.rootFd).filter((n) => !n.equals(RESERVED_NAME));
}

export function seedBegin(ctx: SlaveContext): Result<'seedBegin'> {
  return ctx.confine.scoped(() => {
    const state = ctx.confine.stateDir();
    removeTree(ctx.fs, state, Buffer.from(SEED)); // a leftover of an interrupted seed copy
    ctx.seed = 'none';
    if (!ctx.index.isEmpty()) return { dir: null, reason: 'the slave already holds replicated entries' };
    const present = rootEntries(ctx).length;
    if (present > 0) return { dir: null, reason: `the slave root already holds ${present} entries` };
    ctx.fs.mkdir(state, Buffer.from(SEED), 0o700);
    ctx.seed = 'copying';
    const dir = seedDirOf(ctx);
    ctx.log.info('seed copy: the slave is empty, the master copies its tree into the seed folder', { dir });
    return { dir, reason: '' };
  });
}

export function seedCommit(ctx: SlaveContext): Result<'seedCommit'> {
  if (ctx.seed !== 'copying') throw new GeorepError('BAD_REQUEST', 'seedCommit without seedBegin on this connection');
  const present = ctx.confine.scoped(() => rootEntries(ctx).length);
  if (present > 0) {
    seedAbort(ctx);
    throw new GeorepError(
      'ENTRY_CONFLICT',
      `the slave root ${ctx.confine.root} gained ${present} entries during the seed copy; something else writes there. The copy was dropped: the sync goes on file by file`,
    );
  }
  const moved = ctx.confine.scoped(() => {
    const { fs } = ctx;
    const seed = ctx.confine.stateDir(SEED);
    let n = 0;
    for (const name of fs.readdir(seed)) {
      // A .georep at the master's top is never replicated (the crawl skips it too).
      if (name.equals(RESERVED_NAME)) removeTree(fs, seed, name);
      else {
        fs.rename(seed, name, ctx.confine.rootFd, name);
        n++;
      }
    }
    removeTree(fs, ctx.confine.stateDir(), Buffer.from(SEED));
    return n;
  });
  ctx.seed = 'adopting';
  ctx.log.info('seed copy moved into the slave root', { entries: moved });
  return { moved };
}

export function seedAbort(ctx: SlaveContext): void {
  ctx.seed = 'none';
  ctx.confine.scoped(() => removeTree(ctx.fs, ctx.confine.stateDir(), Buffer.from(SEED)));
}
