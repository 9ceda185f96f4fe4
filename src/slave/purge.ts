// purgeUnknown: the normal purge. In each listed directory, removes the entries the slave index
// does not know (recursively). Invariant: `.georep` at ROOT is never touched, and the directory
// is listed and emptied through one descriptor walked from the root (removeTree follows nothing).

import { GeorepError } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { RESERVED_NAME } from './confine.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import { keepDirTimes } from './dir-times.js';
import type { Methods } from './protocol.js';
import { removeTree } from './remove-tree.js';

function purgeDir(ctx: SlaveContext, dir: Gfid): number {
  const dirRel = ctx.index.dirPath(dir);
  if (dirRel === undefined)
    throw new GeorepError(
      'GFID_UNKNOWN',
      `purge of directory gfid ${dir}, which the slave does not know as a directory`,
      { path: dir },
    );
  const fd = ctx.confine.dir(dirRel);
  // The master set this directory's times already; listing and removing entries must not change
  // them (their values are taken before the listing, which may move atime).
  return keepDirTimes(ctx.fs, fd, () => {
    const unknown = ctx.fs
      .readdir(fd)
      .filter(
        (name) => !(dirRel.length === 0 && name.equals(RESERVED_NAME)) && ctx.index.lookup(dir, name) === undefined,
      );
    for (const name of unknown) removeTree(ctx.fs, fd, name);
    return unknown.length;
  });
}

export function purgeUnknown(
  ctx: SlaveContext,
  p: Methods['purgeUnknown']['params'],
): Methods['purgeUnknown']['result'] {
  let removed = 0;
  const failures = ctx.index.transaction(() =>
    eachOp(
      p.dirs.map((gfid) => ({ gfid })),
      ({ gfid }) => {
        removed += ctx.confine.scoped(() => purgeDir(ctx, gfid));
      },
      beforeItemOf(ctx, 'purgeUnknown'),
    ),
  );
  (removed > 0 ? ctx.log.info.bind(ctx.log) : ctx.log.debug.bind(ctx.log))('purged unknown entries', {
    dirs: p.dirs.length,
    removed,
    failures: failures.length,
  });
  return { removed, failures };
}
