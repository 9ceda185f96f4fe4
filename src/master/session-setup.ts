// Session setup shared by the one-shot sync and the live worker: checking the master, the
// slave handshake (which binds the slave to this master volume), and deciding whether the
// slave needs a full crawl.

import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { SqliteGfidIndex, readStime } from '../store/index.js';
import type { Confirmations, GfidIndex, NameIndex, SessionMeta } from '../store/index.js';
import type { MasterDeps } from './master-deps.js';
import type { Config } from '../config.js';
import { GeorepError, errnoOf } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { PROTOCOL_VERSION, SlaveClient } from '../slave/index.js';
import type { Methods } from '../slave/index.js';
import type { RemoteSlave, SlaveAddress } from '../slave/address.js';
import { sshDestination } from '../slave/address.js';
import { probeTargetOf, tcpAnswers, waitUntilAnswers } from '../slave/reach-probe.js';
import { SESSION_KEY_FILE, SshLink, sshArgv } from '../slave/ssh-link.js';
import type { RemoteTarget } from '../syncer/index.js';
import { masterVolumeId } from './volume-id.js';
import { fullCrawlPending, startFullCrawl, startReverify } from './reverify.js';
import { SESSION_FILES } from '../session-files.js';
import { remoteExitHint } from './remote-exit-hint.js';

/** What a one-shot sync and a live worker are both given about their session. */
export interface SessionRunOptions {
  /** Absolute, real path of the master root. */
  readonly masterRoot: string;
  /** The slave as the session names it (a local path, or ssh://user@host:port/path). */
  readonly slaveRoot: string;
  /** Where the slave is: a local folder, or one on another host over ssh. */
  readonly slave: SlaveAddress;
  /** Absolute path of this session's workdir folder (exists). */
  readonly sessionDir: string;
  readonly config: Config;
  /** argv that runs `georep slave`; the slave root is appended. */
  readonly agentCommand: readonly string[];
  readonly log: Logger;
  readonly clock?: Clock;
}

/** The agent a session talks to, and for a remote slave the ssh link it runs over. */
export interface SlaveConnection {
  readonly client: SlaveClient;
  /** Where rsync, tar and the seed copy send (a remote slave only). */
  readonly remote: RemoteTarget | undefined;
  /** Ends the agent, then the ssh link. */
  close(): Promise<void>;
}

/**
 * How a live worker waits for a remote slave host that does not answer (slave/reach-probe.ts),
 * instead of ending and being restarted with backoff. A one-shot sync gives none: it fails.
 */
export interface UnreachableWait {
  /** reconnect-probe-interval in ms (> 0). */
  readonly intervalMs: number;
  readonly clock: Pick<Clock, 'nowMs' | 'sleep'>;
  /** The worker is Faulty from now until it connects: `cause` says why, in one line. */
  readonly onUnreachable: (cause: string) => void;
}

/**
 * Starts the slave agent: a local child, or `georep slave ROOT` on the slave host through one
 * shared ssh connection (SshLink), pinged while idle so that it exits if the link drops.
 */
export async function connectSlave(
  opts: SessionRunOptions,
  signal?: AbortSignal,
  whileUnreachable?: UnreachableWait,
): Promise<SlaveConnection> {
  const { slave, log } = opts;
  if (slave.kind === 'local') {
    const client = SlaveClient.spawn([...opts.agentCommand, slave.root], log);
    return { client, remote: undefined, close: () => client.close() };
  }
  if (opts.config.sshPort !== 0 && opts.config.sshPort !== slave.port) {
    throw new GeorepError(
      'CONFIG_INVALID',
      `ssh-port is ${opts.config.sshPort} but this session's slave ${opts.slaveRoot} is on port ${slave.port}; give the port in the slave address (ssh://host:PORT/path) instead`,
    );
  }
  if (
    opts.config.syncMethod === 'tarssh' &&
    opts.config.sshIdentity === '' &&
    fs.existsSync(path.join(opts.sessionDir, SESSION_KEY_FILE))
  ) {
    throw new GeorepError(
      'CONFIG_INVALID',
      `this session reaches ${slave.host} with its restricted session key (georep ssh-setup --make-key), whose forced command runs no tar: set sync-method rsync, or ssh-identity to another key`,
    );
  }
  const hint = `${opts.masterRoot} ${opts.slaveRoot}`;
  const link = await openLink(opts, slave, hint, signal, whileUnreachable);
  const client = SlaveClient.spawn(link.agentCommand(opts.config, opts.config.logLevel), log, {
    keepAliveMs: (opts.config.slaveTimeout * 1000) / 3,
    exitHint: (code, stderr) => remoteExitHint(code, stderr, opts.config.remoteGeorep, slave.host, hint),
    what: `ssh client of the slave agent on ${slave.host}`,
  });
  return {
    client,
    remote: link.remoteTarget(),
    close: async () => {
      try {
        await client.close();
      } finally {
        await link.close();
      }
    },
  };
}

/**
 * Starts the slave agent now, for a caller that takes the connection later: the agent (a second
 * Node process, or ssh and one on the slave host) loads and checks its index while this process
 * opens its own session index, instead of after it (about half a second of a short run).
 * A connection that fails is reported where it is awaited, not as an unhandled rejection.
 */
export function startSlave(opts: SessionRunOptions, signal?: AbortSignal): Promise<SlaveConnection> {
  const connecting = connectSlave(opts, signal);
  connecting.catch(() => undefined);
  return connecting;
}

/** Ends an agent started by startSlave that its caller never took (it failed before it could). */
export async function dropStartedSlave(connecting: Promise<SlaveConnection>): Promise<void> {
  let conn: SlaveConnection;
  try {
    conn = await connecting;
  } catch {
    return; // it never started: nothing to end, and the caller's own error is the one to report
  }
  await conn.close();
}

/** What the exit code of `ssh HOST REMOTE-GEOREP slave ROOT` says, for the one-line error. */
/**
 * How long the first probe of a live worker's connect may wait for the ssh port. TCP resends a
 * lost SYN after 1 s and again 2 s later, so a reachable host answers within this even through
 * a lost packet or two; a host that does not is one ssh would wait on for its whole
 * ConnectTimeout (slave-timeout), its SYNs ever rarer.
 */
const FIRST_PROBE_MS = 3000;

/**
 * SshLink.open, and with `wait` (a live worker), what to do while the host does not answer.
 * ssh is started at once, and beside it one TCP probe of the port ssh connects to. If the probe
 * goes unanswered while ssh is still connecting, ssh is stopped: a link that came back would be
 * found only at its next SYN resend, seconds later (bench/README.md, "Where s3a's time goes").
 * Then, as after a SLAVE_UNREACHABLE, the worker says it is Faulty, probes until the host
 * answers, and tries ssh once more. A second failure (the port answers, ssh still fails) ends
 * the worker as before, and the monitor's backoff paces the next try.
 */
async function openLink(
  opts: SessionRunOptions,
  slave: RemoteSlave,
  hint: string,
  signal: AbortSignal | undefined,
  wait: UnreachableWait | undefined,
): Promise<SshLink> {
  const open = (s: AbortSignal | undefined): Promise<SshLink> =>
    SshLink.open(slave, opts.config, opts.sessionDir, hint, opts.log, s);
  if (wait === undefined || signal === undefined) return open(signal);
  const attempt = new AbortController();
  const opening = open(AbortSignal.any([signal, attempt.signal]));
  let settled = false;
  opening.then(
    () => (settled = true),
    () => (settled = true),
  );
  const target = await probeTargetOf(sshArgv(slave, opts.config, '/dev/null', '/dev/null'), sshDestination(slave));
  let cause: string;
  if (target !== undefined && !settled && !(await tcpAnswers(target, FIRST_PROBE_MS, signal)) && !settled) {
    attempt.abort();
    const link = await opening.catch(() => undefined);
    if (link !== undefined) return link; // it connected after all, in the same instant
    signal.throwIfAborted();
    cause = `cannot reach the slave host for ${opts.slaveRoot}: ${target.host}:${target.port} does not answer`;
  } else {
    try {
      return await opening;
    } catch (e) {
      if (target === undefined || !(e instanceof GeorepError) || e.code !== 'SLAVE_UNREACHABLE') throw e;
      cause = e.message; // a proxy, or not OpenSSH (no target): the monitor's backoff, as before
    }
  }
  wait.onUnreachable(`${cause}; probing ${target.host}:${target.port} until it answers`);
  opts.log.warn('slave host unreachable; waiting for it to answer', { host: target.host, port: target.port });
  await waitUntilAnswers(target, wait.intervalMs, wait.clock, signal);
  opts.log.info('slave host answers; connecting', { host: target.host, port: target.port });
  return open(signal);
}

export async function greet(
  slave: SlaveClient,
  rebind: boolean,
  opts: { readonly masterRoot: string; readonly signal?: AbortSignal; readonly log: Logger },
  clock: Clock,
): Promise<Methods['hello']['result']> {
  const spawnedMs = clock.nowMs();
  const hello = await slave.call(
    'hello',
    { version: PROTOCOL_VERSION, masterVolume: masterVolumeId(opts.masterRoot), masterPath: opts.masterRoot, rebind },
    opts.signal,
  );
  opts.log.debug('slave agent ready', { slaveId: hello.slaveId, durationMs: clock.nowMs() - spawnedMs });
  return hello;
}

export function checkMaster(root: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw new GeorepError(
      'MASTER_MISSING',
      `master ${root} cannot be read (${errnoOf(e) ?? String(e)}); check the path`,
      {
        path: root,
        cause: e,
      },
    );
  }
  if (!st.isDirectory()) {
    throw new GeorepError(
      'MASTER_MISSING',
      `master ${root} is not a directory; give the root of the tree to replicate`,
      {
        path: root,
      },
    );
  }
}

/**
 * A slave we have no confirmed record of (first sync, a slave recreated since, or recover
 * mode) gets a full crawl: every entry is sent again and unknown slave entries are purged.
 * So does one whose full crawl has not completed yet (reverify.ts, FULL_PENDING_KEY): a first
 * sync stopped part-way left entries nothing purged, which an ordinary crawl would keep.
 */
/**
 * The slave's sync time is written before the session's (MasterBase.markStime): one older than
 * the session's means the slave went back, restored from an earlier copy with its state folder.
 * What the session confirmed since is not all there: the caller has the slave adopt its tree
 * by name again (forgetSlaveNames) and decideFullCrawl checks everything. Before, a sync over
 * such a slave exited 0 with files missing, stale and extra (one-shot probe).
 */
export function slaveWentBack(index: SessionMeta, slaveId: string, slaveStimeMs: number | null): boolean {
  const stime = readStime(index);
  return index.getMeta('slaveId') === slaveId && stime !== undefined && (slaveStimeMs ?? -1) < stime;
}

export function decideFullCrawl(
  index: SessionMeta & Pick<Confirmations, 'clearSynced'> & Pick<NameIndex, 'count'>,
  slaveId: string,
  recover: boolean,
  log: Logger,
  slaveStimeMs: number | null = null,
): boolean {
  const known = index.getMeta('slaveId');
  if (slaveWentBack(index, slaveId, slaveStimeMs)) {
    log.warn(
      'the slave holds an older sync time than this session wrote to it: it was restored from an earlier copy; checking everything again',
      { slaveStimeMs, sessionStimeMs: readStime(index) },
    );
    startReverify(index, 'slave restored from an earlier copy');
    index.clearSynced();
    startFullCrawl(index);
    return true;
  }
  if (known !== slaveId) {
    if (known !== undefined) {
      log.warn('slave was recreated since the last sync (or its index rebuilt); sending everything again', {
        slaveId,
      });
      startReverify(index, 'slave recreated');
    }
    index.clearSynced();
    index.setMeta('slaveId', slaveId);
    startFullCrawl(index);
    return true;
  }
  return recover || index.count() === 0 || fullCrawlPending(index);
}

/**
 * Opens the session's gfid index, as the session's own processes do (one-shot sync, recorder,
 * worker): checked at open, and quarantined when corrupt (store-quarantine.ts). With the index
 * go the changelogs and crawl files it describes: their gfids mean nothing to the empty index
 * that replaces it, which the next crawl rebuilds (a recorder's reconcile, a worker's hybrid
 * crawl, a one-shot's full crawl; see decideFullCrawl for the slave's side).
 */
export function openSessionIndex(sessionDir: string, log: Logger, clock?: Clock): SqliteGfidIndex {
  const index = SqliteGfidIndex.open(path.join(sessionDir, SESSION_FILES.index), {
    log,
    ...(clock === undefined ? {} : { clock }),
    onQuarantine: () => {
      for (const dir of [SESSION_FILES.changelogs, SESSION_FILES.xsync])
        fs.rmSync(path.join(sessionDir, dir), { recursive: true, force: true });
    },
  });
  if (index.quarantined !== undefined) startReverify(index, 'session index quarantined');
  return index;
}

/**
 * When the session index does not know the slave it just greeted (read before decideFullCrawl
 * records it: a first sync, a quarantined index, a session started over), the slave's own index
 * names gfids of another index: an entry op for a new gfid would replace every entry it finds
 * under another gfid (a whole directory tree, resent). The slave forgets them and adopts what it
 * holds by name instead; since nothing then proves those copies' content, the full crawl
 * re-verifies it (reverify.ts).
 */
export async function forgetSlaveNames(
  slave: SlaveClient,
  index: Pick<SessionMeta, 'setMeta'>,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const { forgotten } = await slave.call('forgetNames', {}, signal);
  if (forgotten === 0) return;
  log.info('the slave holds entries this session index does not know: the slave adopts them by name', {
    names: forgotten,
  });
  startReverify(index, 'slave adopts by name');
}

export function prepareSessionDirs(sessionDir: string): { xsync: string; stats: string } {
  const xsync = path.join(sessionDir, SESSION_FILES.xsync);
  // Leftover XSYNC files are crawl output from an interrupted run: the crawl regenerates them.
  fs.rmSync(xsync, { recursive: true, force: true });
  fs.mkdirSync(xsync, { recursive: true, mode: 0o700 });
  return { xsync, stats: path.join(sessionDir, SESSION_FILES.stats) };
}

/** The master's dependencies every session kind shares: where things are, and who it talks to. */
export function sessionDeps(
  masterRoot: string,
  parts: {
    readonly index: GfidIndex;
    readonly slave: SlaveClient;
    readonly log: Logger;
    readonly clock: Clock;
    readonly dirs: { readonly xsync: string; readonly stats: string };
    readonly hello: Methods['hello']['result'];
    readonly remote: RemoteTarget | undefined;
  },
): Pick<
  MasterDeps,
  | 'rootPath'
  | 'root'
  | 'index'
  | 'slave'
  | 'log'
  | 'clock'
  | 'xsyncDir'
  | 'statsFile'
  | 'stagingDir'
  | 'slaveIsRoot'
  | 'remote'
> {
  return {
    rootPath: masterRoot,
    root: Buffer.from(masterRoot),
    index: parts.index,
    slave: parts.slave,
    log: parts.log,
    clock: parts.clock,
    xsyncDir: parts.dirs.xsync,
    statsFile: parts.dirs.stats,
    stagingDir: parts.hello.stagingDir,
    slaveIsRoot: parts.hello.isRoot,
    ...(parts.remote === undefined ? {} : { remote: parts.remote }),
  };
}
