// Confiner: keeps every slave operation inside ROOT. Invariant: a directory is used only through
// a descriptor reached from the root's descriptor without following a symlink at any component
// (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS in one call, or, where the kernel lacks openat2,
// openat with O_NOFOLLOW|O_DIRECTORY one component at a time), and every op acts relative to
// that descriptor, so a directory a local user swaps for a symlink is never gone through,
// whenever the swap happens: there is no check whose result a later call could outdate.
// Descriptors live for one scope (one op of a batch): the next op starts again from the root.

import { constants as osConstants } from 'node:os';
import { GeorepError } from '../errors.js';
import type { AtFs } from './fs-at.js';
import { sysError } from './fs-at.js';
import { LIMITS } from './protocol.js';
import { checkComponent } from './wire-names.js';
import { displayPath, joinRel } from '../changelog/index.js';
import { SLAVE_STATE_DIR } from '../session-files.js';

/** The agent's own state directory, directly under ROOT; no entry op may touch it. */
export const RESERVED_NAME = Buffer.from(SLAVE_STATE_DIR);

const ENOTDIR = -osConstants.errno.ENOTDIR;
const ELOOP = -osConstants.errno.ELOOP;
const ENOSYS = -osConstants.errno.ENOSYS;

/** Descriptors opened in one scope, and the directories among them by relative path (latin1). */
interface Scope {
  readonly fds: number[];
  readonly dirs: Map<string, number>;
}

export class Confiner {
  private readonly rootBuf: Buffer;
  private readonly scopes: Scope[] = [];
  private readonly dirFlags: number;
  /** Whether openat2 is there to use; false after its first ENOSYS (or when told so, for tests). */
  private openat2: boolean;

  /**
   * `root` must be the absolute real path of the slave root, `rootFd` a descriptor of it: the
   * one anchor every walk starts from (the root's own path is the operator's, not the peer's).
   */
  constructor(
    readonly root: string,
    readonly fs: AtFs,
    readonly rootFd: number,
    opts: { readonly openat2?: boolean } = {},
  ) {
    this.rootBuf = Buffer.from(root);
    this.dirFlags = fs.c.O_PATH | fs.c.O_DIRECTORY | fs.c.O_NOFOLLOW;
    this.openat2 = opts.openat2 ?? true;
  }

  /** The absolute path of `rel`; PATH_TOO_LONG when the kernel could not take it. */
  abs(rel: Buffer): Buffer {
    if (rel.length === 0) return this.rootBuf;
    const out = Buffer.concat([this.rootBuf, Buffer.from('/'), rel]);
    // PATH_MAX counts the terminating NUL.
    if (out.length >= LIMITS.pathBytes) {
      throw new GeorepError(
        'PATH_TOO_LONG',
        `path ${displayPath(rel)} under slave root ${this.root} is over ${LIMITS.pathBytes} bytes`,
        { path: displayPath(rel) },
      );
    }
    return out;
  }

  /** Runs `fn`; every descriptor opened (or tracked) inside is closed when it returns or throws. */
  scoped<T>(fn: () => T): T {
    const scope: Scope = { fds: [], dirs: new Map() };
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
      for (const fd of scope.fds) this.fs.close(fd);
    }
  }

  /** Registers `fd` with the current scope, which closes it. */
  track(fd: number): number {
    this.current().fds.push(fd);
    return fd;
  }

  /**
   * A descriptor of directory `dirRel` ('' is the root), walked from the root within this scope.
   * PATH_ESCAPES_ROOT if a component is a symlink or no directory; ENOENT if one is missing.
   */
  dir(dirRel: Buffer): number {
    if (dirRel.length === 0) return this.rootFd;
    const scope = this.current();
    const whole = dirRel.toString('latin1');
    const known = scope.dirs.get(whole);
    if (known !== undefined) return known;
    if (this.openat2) {
      const fd = this.fs.tryOpenBeneath(this.rootFd, dirRel, this.dirFlags);
      if (fd >= 0) {
        scope.fds.push(fd);
        scope.dirs.set(whole, fd);
        return fd;
      }
      if (fd === ENOSYS) this.openat2 = false;
      // Otherwise (a symlink or missing component…), the walk below names the component at fault.
    }
    let fd = this.rootFd;
    let start = 0;
    for (;;) {
      const end = dirRel.indexOf(0x2f, start);
      const prefix = end < 0 ? dirRel : dirRel.subarray(0, end);
      const key = prefix.toString('latin1');
      fd = scope.dirs.get(key) ?? this.openDir(scope, fd, dirRel.subarray(start, prefix.length), prefix, key);
      if (end < 0) return fd;
      start = end + 1;
    }
  }

  /**
   * A descriptor of the agent's state folder <root>/.georep, or of a folder in it (`staging`,
   * `seed`), walked from the root on each call like any directory: it is never trusted from an
   * earlier check, since whoever may write the root may swap it.
   */
  stateDir(...names: readonly string[]): number {
    const scope = this.current();
    let fd = this.openDir(scope, this.rootFd, RESERVED_NAME, RESERVED_NAME);
    let rel: Buffer = RESERVED_NAME;
    for (const name of names) {
      const b = Buffer.from(name);
      rel = joinRel(rel, b);
      fd = this.openDir(scope, fd, b, rel);
    }
    return fd;
  }

  /**
   * A descriptor of <root>/.georep the caller keeps (and closes) beyond any scope: the index
   * database is opened through it, as /proc/self/fd/N/index.db, for the agent's whole life.
   */
  holdStateDir(): number {
    return this.openDir(undefined, this.rootFd, RESERVED_NAME, RESERVED_NAME);
  }

  /** Checks `name` (and that it is not the reserved name at ROOT); returns `dirRel/name`. */
  childOf(dirRel: Buffer, name: Buffer): Buffer {
    checkComponent(name);
    if (dirRel.length === 0 && name.equals(RESERVED_NAME)) throw reservedError();
    return joinRel(dirRel, name);
  }

  /**
   * Checks a path a peer named (verify's listings and hashes, repair's drops): nothing in the
   * agent's state folder is the replica's, and a request must not reach it (a repair line naming
   * `.georep/index.db` removed the slave index, and with it the slave's bond to its master).
   */
  checkReplicaPath(rel: Buffer): void {
    const end = rel.indexOf(0x2f);
    if ((end < 0 ? rel : rel.subarray(0, end)).equals(RESERVED_NAME)) throw reservedError();
  }

  /**
   * Called whenever anything is renamed or removed: a directory this scope walked to may now
   * have another path, so later walks start again from the root. Descriptors stay open until
   * the scope ends (a Place may still hold one; a closed number could be reused meanwhile).
   */
  invalidate(): void {
    this.scopes.at(-1)?.dirs.clear();
  }

  /** Closes the root's descriptor (when the agent stops). */
  close(): void {
    this.fs.close(this.rootFd);
  }

  private current(): Scope {
    const scope = this.scopes.at(-1);
    // A bug, not a condition of the slave: a descriptor outside a scope would never be closed.
    if (scope === undefined) throw new Error('Confiner: a directory was opened outside Confiner.scoped');
    return scope;
  }

  private openDir(scope: Scope | undefined, parent: number, name: Buffer, rel: Buffer, key?: string): number {
    const fd = this.fs.tryOpen(parent, name, this.dirFlags);
    if (fd >= 0) {
      scope?.fds.push(fd);
      if (key !== undefined) scope?.dirs.set(key, fd);
      return fd;
    }
    if (fd !== ENOTDIR && fd !== ELOOP) throw sysError(fd, 'openat', rel);
    const st = this.fs.statIfAny(parent, name);
    if (st === undefined) throw sysError(-osConstants.errno.ENOENT, 'openat', rel); // gone meanwhile
    const what = st.type === 'symlink' ? 'a symlink' : 'not a directory';
    throw new GeorepError(
      'PATH_ESCAPES_ROOT',
      `${displayPath(rel)} under slave root ${this.root} is ${what}; refusing to go through it (remove it on the slave or let the master recreate it)`,
      { path: displayPath(rel) },
    );
  }
}

function reservedError(): GeorepError {
  return new GeorepError(
    'BAD_NAME',
    `${RESERVED_NAME.toString()} directly under the slave root is reserved for georep's own state`,
    { path: RESERVED_NAME.toString() },
  );
}
