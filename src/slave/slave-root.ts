// Opening a slave root for `hello`: creates ROOT (mkdir -p) and <root>/.georep (0700) with its
// index, staging/ and tmp/. Invariant: a root that cannot be created or written fails with
// SLAVE_UNWRITABLE naming the path, the errno and what to do; the state dir is never a symlink.

import { randomUUID } from 'node:crypto';
import { keepDirTimes } from './dir-times.js';
import { lstatSync, mkdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GeorepError, errnoOf } from '../errors.js';
import type { Logger } from '../log.js';
import { SlaveIndex } from './slave-index.js';

export interface OpenedRoot {
  /** Absolute real path of the slave root. */
  readonly root: string;
  readonly index: SlaveIndex;
  readonly stagingDir: string;
  readonly tmpDir: string;
  readonly slaveId: string;
}

function unwritable(path: string, e: unknown): GeorepError {
  const why = errnoOf(e) ?? (e instanceof Error ? e.message : String(e));
  return new GeorepError(
    'SLAVE_UNWRITABLE',
    `slave root: cannot create or write ${path} (${why}); create it and make it writable for the user the slave agent runs as, or pick another slave root`,
    { path, cause: e },
  );
}

/** Runs a setup step; any system error becomes SLAVE_UNWRITABLE for `path`. */
function step<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (errnoOf(e) === undefined) throw e;
    throw unwritable(path, e);
  }
}

function makeStateDir(root: string): string {
  const dir = join(root, '.georep');
  const st = step(dir, () => lstatSync(dir, { throwIfNoEntry: false }));
  if (st === undefined) step(dir, () => keepDirTimes(root, () => mkdirSync(dir, { mode: 0o700 })));
  else if (!st.isDirectory()) {
    throw new GeorepError(
      'PATH_ESCAPES_ROOT',
      `${dir} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}; remove it so georep can keep its state there`,
      { path: dir },
    );
  }
  return dir;
}

/** A fresh empty directory: leftovers of an interrupted session are dropped. */
function freshDir(dir: string): void {
  step(dir, () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
  });
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** Opens the index; a corrupt one is moved aside and rebuilt empty (entries get adopted again). */
function openIndex(file: string, log: Logger): SlaveIndex {
  try {
    return SlaveIndex.open(file);
  } catch (e) {
    if (!(e instanceof Database.SqliteError)) throw errnoOf(e) === undefined ? e : unwritable(file, e);
    if (!CORRUPT.has(e.code)) throw unwritable(file, e);
    const aside = `${file}.corrupt-${randomUUID()}`;
    log.warn('slave index is corrupt; moved aside, starting an empty one', { path: file, aside });
    for (const suffix of ['', '-wal', '-shm']) rmOrMove(file + suffix, aside + suffix);
    return SlaveIndex.open(file);
  }
}

function rmOrMove(from: string, to: string): void {
  step(from, () => {
    if (lstatSync(from, { throwIfNoEntry: false }) !== undefined) renameSync(from, to);
  });
}

export function openSlaveRoot(rootArg: string, log: Logger): OpenedRoot {
  step(rootArg, () => mkdirSync(rootArg, { recursive: true }));
  const root = step(rootArg, () => realpathSync(rootArg));
  if (!step(root, () => lstatSync(root)).isDirectory()) throw unwritable(root, new Error('not a directory'));
  const stateDir = makeStateDir(root);
  const stagingDir = join(stateDir, 'staging');
  const tmpDir = join(stateDir, 'tmp');
  freshDir(stagingDir);
  freshDir(tmpDir);
  const index = openIndex(join(stateDir, 'index.db'), log);
  let slaveId = index.getMeta('slaveId');
  if (slaveId === undefined) {
    slaveId = randomUUID();
    index.setMeta('slaveId', slaveId);
    log.info('initialised slave root', { path: root, slaveId });
  }
  return { root, index, stagingDir, tmpDir, slaveId };
}
