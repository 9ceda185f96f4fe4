// SlaveAgent: the methods of protocol.ts, served for one slave root. Invariant: nothing but
// hello and bye runs before hello has opened the root and bound it to the master volume.

import { GeorepError } from '../errors.js';
import { condemn, isCorruption } from '../store/index.js';
import type { Logger } from '../log.js';
import type { AgentHooks, SlaveContext } from './context.js';
import { loadAtFs } from './fs-at.js';
import { applyEntryOps } from './entry-ops.js';
import { applyMetaOps } from './meta-ops.js';
import { PROTOCOL_VERSION } from './protocol.js';
import type { MethodName, Methods } from './protocol.js';
import { purgeUnknown } from './purge.js';
import { countRemovals } from './removal-count.js';
import { adopt } from './adopt.js';
import { seedAbort, seedBegin, seedCommit } from './seed.js';
import { openSlaveRoot } from './slave-root.js';
import { commitData, stageData } from './staging.js';
import { bindVolume, readStime } from './volume-mark.js';
import { VerifyReader, countPaths, dropPaths } from './verify-ops.js';

type P<M extends MethodName> = Methods[M]['params'];
type R<M extends MethodName> = Methods[M]['result'];

/** The methods served on the context hello opened: all but hello itself, ping and bye. */
export type ContextMethod = Exclude<MethodName, 'hello' | 'ping' | 'bye'>;

type Served = { readonly [M in ContextMethod]: (ctx: SlaveContext, p: P<M>, verify: VerifyReader) => R<M> };

/**
 * Each method, by the module that implements it: one table typed over exactly those names (a new
 * method fails to compile until it is served), never a lookup of whatever a request names.
 */
const SERVED: Served = {
  entryOps: (ctx, p) => applyEntryOps(ctx, p.ops),
  metaOps: (ctx, p) => applyMetaOps(ctx, p.ops),
  stageData,
  commitData,
  purgeUnknown,
  countRemovals,
  seedBegin,
  seedCommit,
  seedAbort: (ctx) => {
    seedAbort(ctx);
    return null;
  },
  adopt,
  forgetNames,
  setStime: (ctx, p) => {
    ctx.index.setMetaDurably('stimeMs', String(p.stimeMs));
    return null;
  },
  listDir: (ctx, p, verify) => verify.listDir(ctx, p),
  hashFiles: (ctx, p, verify) => verify.hashFiles(ctx, p),
  dropPaths,
  countPaths,
};

/** The master does not know this slave's index (a new session): its names go, entries are adopted by name. */
function forgetNames(ctx: SlaveContext): R<'forgetNames'> {
  const forgotten = ctx.index.forgetNames();
  if (forgotten > 0)
    ctx.log.info('the master does not know this slave index: forgot its names, entries are adopted by name', {
      forgotten,
    });
  return { forgotten };
}

export class SlaveAgent {
  private ctx: SlaveContext | undefined;
  /** The index file, for condemning it (failure()). */
  private indexFile: { readonly path: string; readonly shown: string } | undefined;
  /** Set once the index was found corrupt: every later request gets this error. */
  private condemned: GeorepError | undefined;
  /** The descriptor of <root>/.georep the index lives behind; closed with it. */
  private stateFd = -1;
  private readonly verify = new VerifyReader();

  /** `root` as given on the command line; it is created and resolved at hello. */
  constructor(
    private readonly root: string,
    private readonly log: Logger,
    private readonly hooks: AgentHooks = {},
  ) {}

  hello(p: P<'hello'>): R<'hello'> {
    if (this.ctx !== undefined) throw new GeorepError('BAD_REQUEST', 'hello was already received on this connection');
    if (p.version !== PROTOCOL_VERSION) {
      throw new GeorepError(
        'PROTOCOL_VERSION',
        `master speaks protocol ${p.version}, this slave agent speaks ${PROTOCOL_VERSION}; install the same georep version on both hosts`,
      );
    }
    const fs = loadAtFs(); // NATIVE_MISSING: no unsafe fallback
    const opened = openSlaveRoot(this.root, fs, this.log);
    this.indexFile = opened.indexFile; // corruption met from here on condemns the index (failure())
    try {
      bindVolume(opened.index, opened.root, p, this.log);
    } catch (e) {
      // FOREIGN_MASTER: the connection stays unusable, hold nothing open
      opened.index.close();
      fs.close(opened.stateFd);
      opened.confine.close();
      throw e;
    }
    const isRoot = process.getuid?.() === 0;
    this.stateFd = opened.stateFd;
    this.ctx = {
      index: opened.index,
      confine: opened.confine,
      fs,
      isRoot,
      stagingDir: opened.stagingDir,
      log: this.log,
      unwritten: new Set(),
      seed: 'none',
      hooks: this.hooks,
    };
    return {
      version: PROTOCOL_VERSION,
      slaveId: opened.slaveId,
      stagingDir: opened.stagingDir,
      stimeMs: readStime(opened.index),
      isRoot,
    };
  }

  /**
   * The context for one request. Nothing verified carries over from one request (or op) to the
   * next: each walks from the root's descriptor again (Confiner.scoped).
   */
  private need(): SlaveContext {
    if (this.ctx === undefined) throw new GeorepError('BAD_REQUEST', 'hello must come first');
    if (this.condemned !== undefined) throw this.condemned;
    return this.ctx;
  }

  /**
   * What a failed request answers. Corruption of the index (SQLite's SQLITE_CORRUPT* or
   * SQLITE_NOTADB, or a row georep cannot read) condemns it: this request and every later one
   * fail with STATE_CORRUPT, which ends the master's run, and the next agent's hello moves the
   * file aside and starts an empty index (store-quarantine.ts). Nothing more is done on an index
   * whose answers cannot be trusted, and the file is not moved while this connection has it open.
   */
  failure(e: unknown): unknown {
    if (this.indexFile !== undefined && isDiskFull(e)) {
      // SQLite's "database or disk is full" named neither the host nor the place (remote probe).
      return new GeorepError(
        'IO_ERROR',
        `the slave host's disk is full where the slave keeps its index (${this.indexFile.shown}): free space there; georep retries`,
        { errno: 'ENOSPC', path: this.indexFile.shown, cause: e },
      );
    }
    if (this.indexFile === undefined || !isCorruption(e)) return e;
    if (this.condemned === undefined) {
      this.condemned = condemn(this.indexFile.path, 'slave index', e, this.indexFile.shown);
      this.log.error(this.condemned.message, { event: 'state_corrupt', path: this.indexFile.shown });
    }
    return this.condemned;
  }

  /** Serves one method on hello's context, once its params passed their validator. */
  serve<M extends ContextMethod>(method: M, p: P<M>): R<M> {
    const handle: (ctx: SlaveContext, p: P<M>, verify: VerifyReader) => R<M> = SERVED[method];
    return handle(this.need(), p, this.verify);
  }

  close(): void {
    if (this.ctx !== undefined) {
      this.ctx.index.close();
      this.ctx.fs.close(this.stateFd);
      this.ctx.confine.close();
    }
    this.ctx = undefined;
  }
}

/** SQLite's SQLITE_FULL (better-sqlite3's SqliteError code): the index could not grow. */
function isDiskFull(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  return code === 'SQLITE_FULL';
}
