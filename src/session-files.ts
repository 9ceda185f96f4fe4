// Session files: the name of every file and folder georep keeps on disk, in one place. A
// session folder (<workdir>/sessions/<master>--<slave>--<hash>/) belongs to one master/slave
// pair on the master's host; the slave keeps its own state in <slave root>/.georep/.
// Invariant: no other module spells these names; tests may, as an outside check of the layout.

/** The workdir's folder of session folders. */
export const SESSIONS_DIR = 'sessions';

/** What a session folder holds (names relative to it). */
export const SESSION_FILES = {
  /** The session's own option values (INI, key=value). */
  conf: 'georep.conf',
  /** Master and slave of the session, for listing sessions. */
  info: 'session.json',
  /** Which georep state format the folder is in (state-format.ts). */
  stateFormat: 'state-format.json',
  /** One georep process per session at a time (session-lock.ts). */
  lock: 'lock',
  /** The gfid index: names, confirmations, journal, failure ledger, session meta (SQLite). */
  index: 'index.db',
  /** Where the recorder publishes CHANGELOG files. */
  changelogs: 'changelogs',
  /** Where a hybrid crawl writes its XSYNC-CHANGELOG files (emptied at each start). */
  xsync: 'xsync',
  /** The worker's crawl statistics (crawl-stats.ts). */
  stats: 'status.json',
  /** The live worker's last status snapshot, for georep status without a socket. */
  status: 'session-status.json',
  /** The checkpoint target and its completion (checkpoint.ts). */
  checkpoint: 'checkpoint.json',
  /** One verify, repair or scheduled audit at a time (verify/verify-lock.ts). */
  verifyLock: 'verify.lock',
  /** Where georep verify resumes (verify/position.ts). */
  verifyPosition: 'verify-position.json',
  /** The slave host's pinned ssh host key (georep ssh-setup). */
  knownHosts: 'known_hosts',
  /** The inotify source's marker files, which prove that events are delivered. */
  watchCookies: 'watch-cookies',
  /** The session's own ssh key (georep ssh-setup --make-key); its public half beside it. */
  sessionKey: 'ssh-key',
  /** The last scheduled audit's result (verify/audit-state.ts). */
  audit: 'audit.json',
} as const;

/** The session daemon's files, in the session folder beside SESSION_FILES. */
export const DAEMON_FILES = {
  pid: 'monitor.pid',
  state: 'monitor.json',
  fault: 'fault.json',
  log: 'georep.log',
  /** Present while the worker is paused (georep pause): holds the paused worker's pid. */
  paused: 'paused',
} as const;

/** Why a daemon child ('recorder', 'worker') exited last, in the session folder. */
export const exitCauseName = (role: string): string => `${role}-exit.json`;

/**
 * The slave agent's state folder, directly under the slave root. Never replicated: the master
 * side skips a top-level entry of this name too (its own root may be another session's slave).
 */
export const SLAVE_STATE_DIR = '.georep';

/** What the slave's state folder holds (names relative to it). */
export const SLAVE_STATE_FILES = {
  /** The slave's gfid index (slave-index.ts). */
  index: 'index.db',
  /** Where rsync writes staged files before they are moved in by gfid (staging.ts). */
  staging: 'staging',
  /** Where a seed copy lands before it is moved into the root (seed.ts). */
  seed: 'seed',
} as const;

/**
 * The per-user runtime folder in a temp dir (georep-<uid>/), for what must sit on a short path,
 * as a Unix socket path fits 107 bytes: the status sockets, and one folder per ssh link.
 */
export const runtimeDirName = (uid: number): string => `georep-${uid}`;

/** What the runtime folder holds (names relative to it). */
export const RUNTIME_FILES = {
  /** A session's status socket, by the 12-hex hash that ends its session folder's name. */
  statusSocket: (sessionHash: string): string => `${sessionHash}.sock`,
  /** One ssh link's folder: a tag of the session folder, the process and its link count. */
  sshLinkDir: (sessionTag: string, pid: number, n: number): string => `ssh-${sessionTag}-${pid}-${n}`,
  /** The ssh control socket in an ssh link's folder (beside a copy of the pinned known_hosts). */
  sshControl: 'cm',
} as const;
