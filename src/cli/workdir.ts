// Workdir: where georep keeps per-session state, and the folder of each master/slave pair.
// Invariant: the same (real master path, slave path) always maps to the same session folder,
// whose name is readable yet unique (hash of both paths), created private (0700).

import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { GeorepError } from '../errors.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { StartupEnv } from './env.js';
import { openStateFormat, writeStateMarker } from './state-format.js';
import { SESSIONS_DIR, SESSION_FILES } from '../session-files.js';

/** The workdir of a georep run as root, as gsyncd keeps /var/lib/glusterd/geo-replication. */
export const SYSTEM_WORKDIR = '/var/lib/georep';
/** Hex digits of sha256 kept in a session folder name: 48 bits, collisions out of reach. */
const SESSION_HASH_HEX = 12;
/** Longest basename kept in a session folder name, so folder and socket paths stay short. */
const NAME_PART_MAX = 32;
const PRIVATE_DIR = 0o700;

/** --workdir, else $GEOREP_WORKDIR, else /var/lib/georep for root, else the XDG state home. */
export function resolveWorkdir(flag: string | undefined, env: StartupEnv): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  if (env.workdir !== undefined) return resolve(env.workdir);
  if (env.isRoot) return SYSTEM_WORKDIR;
  const stateHome =
    env.xdgStateHome !== undefined && isAbsolute(env.xdgStateHome)
      ? env.xdgStateHome
      : join(env.home, '.local', 'state');
  return join(stateHome, 'georep');
}

/** `<master-basename>--<slave-basename>--<first 12 hex of sha256(master + NUL + slave)>`. */
export function sessionName(masterReal: string, slave: string): string {
  const hash = createHash('sha256').update(`${masterReal}\0${slave}`).digest('hex').slice(0, SESSION_HASH_HEX);
  return `${namePart(masterReal)}--${namePart(slave)}--${hash}`;
}

export function sessionDirOf(workdir: string, masterReal: string, slave: string): string {
  return join(workdir, SESSIONS_DIR, sessionName(masterReal, slave));
}

/**
 * Creates the session folder (0700), its session.json and state marker if missing; returns the
 * folder. An existing folder is refused if a newer georep wrote it, upgraded in place if older.
 */
export function ensureSessionDir(workdir: string, masterReal: string, slave: string): string {
  const dir = sessionDirOf(workdir, masterReal, slave);
  openStateFormat(dir);
  const created = !existsSync(dir);
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    chmodSync(dir, PRIVATE_DIR);
  } catch (e) {
    throw new GeorepError(
      'IO_ERROR',
      `cannot create session folder ${dir}: ${e instanceof Error ? e.message : String(e)}; pick another --workdir`,
      {
        path: dir,
        cause: e,
      },
    );
  }
  if (created) writeStateMarker(dir);
  const info = join(dir, SESSION_FILES.info);
  if (!existsSync(info)) {
    writeFileAtomic(info, `${JSON.stringify({ version: 1, master: masterReal, slave }, null, 2)}\n`);
  }
  return dir;
}

/** A basename made safe and short for a folder name; '/' (no basename) reads as 'root'. */
function namePart(p: string): string {
  const base = basename(p.replace(/^[^/]*:/, '')) || 'root';
  return base
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, NAME_PART_MAX);
}
