// countRemovals: what removals would take from the slave, counted without changing anything.
// The master's mass-delete brake asks before it sends a turn's deletes (or a full crawl's
// purge), because only the slave knows what lies below a removed directory: the master's
// recorder forgot that subtree when it recorded the RMDIR. Unknown entries are counted the way
// purgeUnknown removes them: by descriptor from the root, a directory entered only with
// O_NOFOLLOW|O_DIRECTORY, so a symlink is counted, never followed.

import { constants as osConstants } from 'node:os';
import type { Gfid } from '../changelog/index.js';
import { RESERVED_NAME } from './confine.js';
import type { SlaveContext } from './context.js';
import type { AtFs } from './fs-at.js';
import { sysError } from './fs-at.js';
import { nameOf } from './place.js';
import type { Methods } from './protocol.js';

const { ENOENT, ENOTDIR, ELOOP } = osConstants.errno;

export function countRemovals(
  ctx: SlaveContext,
  p: Methods['countRemovals']['params'],
): Methods['countRemovals']['result'] {
  const entries = ctx.index.removalCount(p.ops.map((op) => ({ gfid: op.gfid, at: nameOf(op.entry) })));
  let unknown = 0;
  for (const dir of p.dirs) unknown += ctx.confine.scoped(() => countUnknown(ctx, dir));
  return { entries, unknown, total: ctx.index.nameCount() };
}

/** What purgeUnknown would remove in `dir`: its unknown names and everything below them. */
function countUnknown(ctx: SlaveContext, dir: Gfid): number {
  const dirRel = ctx.index.dirPath(dir);
  // A directory the slave does not know: the purge reports it as a failure and removes nothing.
  if (dirRel === undefined) return 0;
  const fd = ctx.confine.dir(dirRel);
  let n = 0;
  for (const name of ctx.fs.readdir(fd)) {
    if (dirRel.length === 0 && name.equals(RESERVED_NAME)) continue;
    if (ctx.index.lookup(dir, name) === undefined) n += 1 + entriesBelow(ctx.fs, fd, name);
  }
  return n;
}

/** A directory being counted: its descriptor and its names. */
interface Frame {
  readonly fd: number;
  readonly names: Buffer[];
  next: number;
}

/** Entries below `name` in `dirFd` when it is a directory; one descriptor open per level. */
function entriesBelow(fs: AtFs, dirFd: number, name: Buffer): number {
  const flags = fs.c.O_PATH | fs.c.O_DIRECTORY | fs.c.O_NOFOLLOW;
  const stack: Frame[] = [];
  let n = 0;
  const enter = (parent: number, child: Buffer): void => {
    const fd = fs.tryOpen(parent, child, flags);
    if (fd >= 0) {
      stack.push({ fd, names: [], next: 0 });
      const top = stack.at(-1) as Frame; // just pushed
      top.names.push(...fs.readdir(fd));
      n += top.names.length;
      return;
    }
    // Not a directory (or a symlink, or gone meanwhile): nothing below it.
    if (fd !== -ENOTDIR && fd !== -ELOOP && fd !== -ENOENT) throw sysError(fd, 'openat', child);
  };
  try {
    enter(dirFd, name);
    while (stack.length > 0) {
      const top = stack.at(-1) as Frame; // the loop runs only while the stack holds a frame
      const child = top.names[top.next++];
      if (child !== undefined) enter(top.fd, child);
      else {
        stack.pop();
        fs.close(top.fd);
      }
    }
  } finally {
    for (const frame of stack) fs.close(frame.fd);
  }
  return n;
}
