// Session roots: the master (must be an existing directory, taken by its real path) and the
// slave (an absolute local path). Invariant: master, slave and workdir never contain each
// other, so georep never replicates its own output or state.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
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
      if (nameA !== nameB && (isInside(b, a) || insideByInode(b, a) || insideByMount(b, a))) {
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

/**
 * `child` or one of its ancestors is the directory `parent` itself, reached by another path: a
 * bind mount of the master as (or above) the slave is another path to the same directory, and
 * a sync through it copied the tree into itself without end (one-shot probe: exit 0 and a
 * master growing while live). Real paths alone cannot tell; device and inode can.
 */
function insideByInode(child: string, parent: string): boolean {
  const p = statIfAny(parent);
  if (p === undefined) return false;
  for (let cur = child; ; cur = dirname(cur)) {
    const st = statIfAny(cur);
    if (st !== undefined && st.dev === p.dev && st.ino === p.ino) return true;
    if (dirname(cur) === cur) return false;
  }
}

/**
 * `child` lies inside `parent` as their filesystem holds them: each path is taken to its mount
 * (the longest mount point above it in /proc/self/mountinfo) and from there to the path within
 * that filesystem (the mount's root, which a bind mount of a subdirectory names). A slave below
 * a bind mount of a directory of the master is inside the master then, though no real path says
 * so. Without mountinfo (not Linux): false, the other checks decide.
 */
function insideByMount(child: string, parent: string): boolean {
  const mounts = readMounts();
  if (mounts.length === 0) return false;
  const c = fsPathOf(child, mounts);
  const p = fsPathOf(parent, mounts);
  return c !== undefined && p !== undefined && c.dev === p.dev && isInside(c.path, p.path);
}

interface Mount {
  readonly dev: string;
  readonly root: string;
  readonly at: string;
}

function readMounts(): Mount[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch (e) {
    // No /proc (not Linux, or not mounted): the path and inode checks stand alone.
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'EACCES') return [];
    throw e;
  }
  // Fields: id parent major:minor root mount-point …; spaces and the like in paths are octal escapes.
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length > 5)
    .map((f) => ({ dev: f[2] as string, root: unescape(f[3] as string), at: unescape(f[4] as string) }));
}

function fsPathOf(abs: string, mounts: readonly Mount[]): { dev: string; path: string } | undefined {
  let best: Mount | undefined;
  for (const m of mounts) if (isInside(abs, m.at) && (best === undefined || m.at.length >= best.at.length)) best = m;
  if (best === undefined) return undefined;
  const rest = best.at === sep ? abs : abs.slice(best.at.length);
  return { dev: best.dev, path: best.root === sep ? rest || sep : best.root + rest };
}

/** stat, or undefined where there is nothing (yet) or it may not be looked at: the path check decides then. */
function statIfAny(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch (e) {
    if (errnoOf(e) === 'EACCES' || errnoOf(e) === 'ENOTDIR') return undefined;
    throw e;
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
