// Session roots: the master (must be an existing directory, taken by its real path) and the
// slave (an absolute local path). Invariant: master, slave and workdir never contain each
// other, so georep never replicates its own output or state.

import { realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { GeorepError, errnoOf } from '../errors.js';

export function resolveMasterRoot(given: string): string {
  let real: string;
  try {
    real = realpathSync(given);
  } catch (e) {
    throw new GeorepError(
      'MASTER_MISSING',
      `master ${given} cannot be used: ${errnoOf(e) ?? String(e)} (${causeText(e)})`,
      {
        path: given,
        cause: e,
      },
    );
  }
  if (!statSync(real).isDirectory()) {
    throw new GeorepError('MASTER_MISSING', `master ${given} is not a directory`, { path: given });
  }
  return real;
}

/** An absolute slave path; `host:/path` (a remote slave) is not supported yet. */
export function resolveSlaveRoot(given: string): string {
  if (/^[^/]*:/.test(given)) {
    throw new GeorepError(
      'USAGE',
      `slave ${given} looks like a remote host:path; remote slaves are not supported yet (write ./${given} for a local folder)`,
      {
        path: given,
      },
    );
  }
  return realpathOfExistingPart(resolve(given));
}

/** Refuses any pair of roots where one lies inside (or is) the other. */
export function checkDisjoint(roots: Readonly<Record<string, string>>): void {
  const entries = Object.entries(roots);
  for (const [nameA, a] of entries) {
    for (const [nameB, b] of entries) {
      if (nameA !== nameB && isInside(b, a)) {
        throw new GeorepError(
          'USAGE',
          `${nameB} ${b} lies inside ${nameA} ${a}; use separate trees (or another --workdir)`,
          { path: b },
        );
      }
    }
  }
}

/** The real path of the deepest existing ancestor, plus the part not created yet. */
export function realpathOfExistingPart(abs: string): string {
  let head = abs;
  for (;;) {
    try {
      return resolve(realpathSync(head), relative(head, abs));
    } catch (e) {
      const parent = dirname(head);
      if (errnoOf(e) !== 'ENOENT' || parent === head) return abs;
      head = parent;
    }
  }
}

const isInside = (child: string, parent: string): boolean =>
  child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

function causeText(e: unknown): string {
  const code = errnoOf(e);
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'a path component is not a directory';
  if (code === 'ELOOP') return 'too many symlinks';
  return e instanceof Error ? e.message : String(e);
}
