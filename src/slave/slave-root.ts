// Opening a slave root for `hello`: creates ROOT (mkdir -p), holds a descriptor of it (the anchor
// of every later walk), makes <root>/.georep (0700) with a fresh staging/, and opens the index
// through a descriptor of .georep. Invariant: a root that cannot be created or written fails
// with SLAVE_UNWRITABLE naming the path, the errno and what to do; .georep is reached from the
// root's descriptor without following a symlink, here and on every later request.

import { randomUUID } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GeorepError, errnoOf } from '../errors.js';
import { systemClock } from '../clock.js';
import { openOrQuarantine } from '../store/index.js';
import type { Logger } from '../log.js';
import { Confiner, RESERVED_NAME } from './confine.js';
import { keepDirTimes } from './dir-times.js';
import type { AtFs } from './fs-at.js';
import { removeTree } from './remove-tree.js';
import { SlaveIndex } from './slave-index.js';
import { SLAVE_STATE_FILES } from '../session-files.js';

export interface OpenedRoot {
  /** Absolute real path of the slave root. */
  readonly root: string;
  readonly confine: Confiner;
  readonly index: SlaveIndex;
  /** The index file as SQLite opened it (through stateFd), and as people know it. */
  readonly indexFile: { readonly path: string; readonly shown: string };
  /** Descriptor of <root>/.georep the index was opened through; closed with the index. */
  readonly stateFd: number;
  readonly stagingDir: string;
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

/** <root>/.georep exists and is a directory (made 0700 without moving the root's times). */
function makeStateDir(confine: Confiner, stateDir: string): void {
  const { fs, rootFd } = confine;
  const st = step(stateDir, () => fs.statIfAny(rootFd, RESERVED_NAME));
  if (st === undefined) step(stateDir, () => keepDirTimes(fs, rootFd, () => fs.mkdir(rootFd, RESERVED_NAME, 0o700)));
  else if (st.type !== 'dir') {
    throw new GeorepError(
      'PATH_ESCAPES_ROOT',
      `${stateDir} is ${st.type === 'symlink' ? 'a symlink' : 'not a directory'}; remove it so georep can keep its state there`,
      { path: stateDir },
    );
  }
}

/** A fresh empty staging/: boxes of an interrupted session are dropped (and tmp/ of older versions). */
function freshStaging(confine: Confiner, stagingDir: string): void {
  const { fs } = confine;
  step(stagingDir, () => {
    const state = confine.stateDir();
    removeTree(fs, state, Buffer.from(SLAVE_STATE_FILES.staging));
    removeTree(fs, state, Buffer.from('tmp'));
    fs.mkdir(state, Buffer.from(SLAVE_STATE_FILES.staging), 0o700);
  });
}

const INDEX = SLAVE_STATE_FILES.index;

/**
 * Opens the index; a corrupt one is moved aside and rebuilt empty (store-quarantine.ts, the
 * master's routine too). The slave then has a new slaveId, so the master sends everything again,
 * and every entry already here that is what the master sends is adopted in place (claimPlace),
 * its content kept as rsync's basis. The volume mark is carried over when the old file still
 * yields it, so a quarantine does not free the root for another master.
 */
function openIndex(stateFd: number, shown: string, log: Logger): { index: SlaveIndex; file: string } {
  // SQLite opens its files by path; /proc/self/fd/N names the .georep this descriptor holds,
  // whatever happens to the path <root>/.georep meanwhile.
  const file = `/proc/self/fd/${stateFd}/${INDEX}`;
  try {
    const opened = openOrQuarantine(file, () => SlaveIndex.open(file, shown), {
      what: 'slave index',
      shown,
      clock: systemClock,
      log,
    });
    if (opened.quarantined !== undefined) carryVolumeMark(opened.quarantined, opened.store, log);
    return { index: opened.store, file };
  } catch (e) {
    if (e instanceof Database.SqliteError || errnoOf(e) !== undefined) throw unwritable(shown, e);
    throw e;
  }
}

/** The master a quarantined index was bound to, when its meta table can still be read. */
function carryVolumeMark(aside: string, index: SlaveIndex, log: Logger): void {
  let mark: Map<string, string>;
  try {
    const old = new Database(aside, { readonly: true, fileMustExist: true });
    try {
      const rows = old.prepare("SELECT key, value FROM meta WHERE key IN ('masterVolume', 'masterPath')").all();
      mark = new Map(rows.map((r) => [String((r as { key: unknown }).key), String((r as { value: unknown }).value)]));
    } finally {
      old.close();
    }
  } catch (e) {
    log.warn('the quarantined slave index does not say which master it was bound to; the next master binds it', {
      error: e instanceof Error ? e.message : String(e),
    });
    return;
  }
  const volume = mark.get('masterVolume');
  if (volume === undefined) return;
  index.transaction(() => {
    index.setMeta('masterVolume', volume);
    index.setMeta('masterPath', mark.get('masterPath') ?? 'unknown path');
  });
}

/** A root others may write without the sticky bit lets them swap .georep; the agent copes, but says so. */
function warnIfShared(confine: Confiner, log: Logger): void {
  const mode = confine.fs.stat(confine.rootFd, Buffer.alloc(0)).mode;
  if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0)
    log.warn('slave root is writable by other users without the sticky bit: they can rename georep’s state folder', {
      path: confine.root,
      mode: `0${(mode & 0o7777).toString(8)}`,
    });
}

export function openSlaveRoot(rootArg: string, fs: AtFs, log: Logger): OpenedRoot {
  step(rootArg, () => mkdirSync(rootArg, { recursive: true }));
  // The root's own path is the operator's: resolved once here, then held by descriptor.
  const root = step(rootArg, () => realpathSync(rootArg));
  const rootFd = step(root, () => fs.open(fs.c.AT_FDCWD, Buffer.from(root), fs.c.O_PATH | fs.c.O_DIRECTORY));
  const confine = new Confiner(root, fs, rootFd);
  let stateFd = -1;
  try {
    const stateDir = join(root, RESERVED_NAME.toString());
    const stagingDir = join(stateDir, SLAVE_STATE_FILES.staging);
    warnIfShared(confine, log);
    makeStateDir(confine, stateDir);
    confine.scoped(() => freshStaging(confine, stagingDir));
    stateFd = confine.holdStateDir();
    const { index, file: indexFile } = openIndex(stateFd, join(stateDir, INDEX), log);
    let slaveId = index.getMeta('slaveId');
    if (slaveId === undefined) {
      slaveId = randomUUID();
      index.setMeta('slaveId', slaveId);
      log.info('initialised slave root', { path: root, slaveId });
    }
    return {
      root,
      confine,
      index,
      indexFile: { path: indexFile, shown: join(stateDir, INDEX) },
      stateFd,
      stagingDir,
      slaveId,
    };
  } catch (e) {
    if (stateFd >= 0) fs.close(stateFd);
    confine.close();
    throw e;
  }
}
