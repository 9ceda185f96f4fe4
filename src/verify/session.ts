// What verify and repair open for a run: the verify lock, the session's gfid index (when there
// is one), and the slave agent, greeted as a sync greets it (locally or over ssh).

import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { SqliteGfidIndex } from '../store/index.js';
import type { Clock } from '../clock.js';
import { GeorepError } from '../errors.js';
import { checkMaster, dropStartedSlave, greet, openSessionIndex, startSlave } from '../master/session-setup.js';
import type { SessionRunOptions, SlaveConnection } from '../master/session-setup.js';
import type { Methods } from '../slave/protocol.js';
import { VerifyLock } from './verify-lock.js';
import { SESSION_FILES } from '../session-files.js';

/** SQLite page cache of the session index for a verify or repair (the store's default is 16 MiB). */
const INDEX_CACHE_KIB = 1024;

/** Calls a verify or repair may have in flight at once (a bound, with room to spare). */
const IN_FLIGHT_CALLS = 256;

export interface OpenedSession {
  readonly conn: SlaveConnection;
  readonly hello: Methods['hello']['result'];
  /** The session's gfid index; undefined when the pair was never synced. */
  readonly index: SqliteGfidIndex | undefined;
  /** Aborts on the caller's signal or when the agent dies. */
  readonly stop: AbortSignal;
  close(): Promise<void>;
}

export async function openSession(
  opts: Omit<SessionRunOptions, 'clock'> & { readonly signal?: AbortSignal },
  clock: Clock,
  needIndex: boolean,
): Promise<OpenedSession> {
  checkMaster(opts.masterRoot);
  const indexFile = path.join(opts.sessionDir, SESSION_FILES.index);
  const exists = fs.existsSync(indexFile);
  if (needIndex && !exists)
    throw new GeorepError(
      'USAGE',
      `${opts.masterRoot} was never synced to ${opts.slaveRoot} (no session index): nothing to repair by; run georep sync --oneshot first`,
      { path: opts.sessionDir },
    );
  const lock = VerifyLock.acquire(opts.sessionDir);
  const connecting = startSlave({ ...opts, clock }, opts.signal);
  let index: SqliteGfidIndex | undefined;
  let conn: SlaveConnection | undefined;
  const close = async (): Promise<void> => {
    try {
      await (conn === undefined ? dropStartedSlave(connecting) : conn.close());
    } finally {
      index?.close();
      lock.release();
    }
  };
  try {
    // Without a session index (never synced) lines carry no gfid; verify creates no session state.
    index = exists ? openSessionIndex(opts.sessionDir, opts.log, clock) : undefined;
    // Memory must not grow with the tree: the walk reads each directory's rows once.
    index?.setCacheKiB(INDEX_CACHE_KIB);
    conn = await connecting;
    const hello = await greet(conn.client, false, opts, clock);
    const stop = opts.signal === undefined ? conn.client.died : AbortSignal.any([opts.signal, conn.client.died]);
    // Each call in flight listens on it (listings asked ahead, digests): more than Node's 10.
    setMaxListeners(IN_FLIGHT_CALLS, stop);
    return { conn, hello, index, stop, close };
  } catch (e) {
    await close();
    throw e;
  }
}
