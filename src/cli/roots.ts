// Session roots: the master (must be an existing directory, taken by its real path) and the
// slave (an absolute local path). Invariant: master, slave and workdir never contain each
// other, so georep never replicates its own output or state.

import { realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { GeorepError, errnoOf } from '../errors.js';
import { canonicalSlave, isRemoteSpec, parseRemoteSlave } from '../slave/address.js';
import type { SlaveAddress } from '../slave/address.js';

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

/**
 * Where the slave is, and the one string that names it (the session's identity): a local
 * folder by the real path of its existing part, or a remote one by its canonical address
 * (`[user@]host:/path` and `ssh://[user@]host[:port]/path` of one place give the same).
 * `sshPort` is a --ssh-port given on the command line (0: none): it names the port of an
 * address written without one. A local folder whose name holds a colon is written ./name.
 */
export function resolveSlave(given: string, sshPort = 0): { readonly slave: SlaveAddress; readonly name: string } {
  const slave: SlaveAddress = isRemoteSpec(given)
    ? parseRemoteSlave(given, sshPort)
    : { kind: 'local', root: realpathOfExistingPart(resolve(given)) };
  return { slave, name: canonicalSlave(slave) };
}

/** The session name of a slave spec (see resolveSlave). */
export function resolveSlaveRoot(given: string, sshPort = 0): string {
  return resolveSlave(given, sshPort).name;
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
