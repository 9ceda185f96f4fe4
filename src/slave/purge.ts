// purgeUnknown: the normal purge. In each listed directory, removes the entries the slave index
// does not know (recursively). Invariant: `.georep` at ROOT is never touched, and removal
// never follows a symlink (rmSync lstat()s every entry).

import { readdirSync, rmSync } from 'node:fs';
import { GeorepError } from '../errors.js';
import type { Gfid } from '../changelog/index.js';
import type { SlaveContext } from './context.js';
import { RESERVED_NAME } from './confine.js';
import { beforeItemOf, eachOp } from './op-failure.js';
import { joinRel } from './paths.js';
import { keepDirTimes } from './dir-times.js';
import type { Methods } from './protocol.js';

function purgeDir(ctx: SlaveContext, dir: Gfid): number {
  const dirRel = ctx.index.dirPath(dir);
  if (dirRel === undefined)
    throw new GeorepError(
      'GFID_UNKNOWN',
      `purge of directory gfid ${dir}, which the slave does not know as a directory`,
      { path: dir },
    );
  ctx.confine.assertDir(dirRel);
  const unknown = readdirSync(ctx.confine.abs(dirRel), { encoding: 'buffer' }).filter(
    (name) => !(dirRel.length === 0 && name.equals(RESERVED_NAME)) && ctx.index.lookup(dir, name) === undefined,
  );
  if (unknown.length === 0) return 0;
  // The master set this directory's mtime already; removing entries must not change it.
  keepDirTimes(ctx.confine.abs(dirRel), () => {
    for (const name of unknown) rmSync(ctx.confine.abs(joinRel(dirRel, name)), { recursive: true, force: true });
  });
  ctx.confine.invalidate();
  return unknown.length;
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
        removed += purgeDir(ctx, gfid);
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
