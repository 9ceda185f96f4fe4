// SlaveAgent: the methods of protocol.ts, served for one slave root. Invariant: nothing but
// hello and bye runs before hello has opened the root and bound it to the master volume.

import { GeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { Confiner } from './confine.js';
import type { AgentHooks, SlaveContext } from './context.js';
import { applyEntryOps } from './entry-ops.js';
import { applyMetaOps } from './meta-ops.js';
import { PROTOCOL_VERSION } from './protocol.js';
import type { MethodName, Methods } from './protocol.js';
import { purgeUnknown } from './purge.js';
import { adopt } from './adopt.js';
import { seedAbort, seedBegin, seedCommit } from './seed.js';
import { openSlaveRoot } from './slave-root.js';
import { commitData, stageData } from './staging.js';
import { bindVolume, readStime } from './volume-mark.js';

type P<M extends MethodName> = Methods[M]['params'];
type R<M extends MethodName> = Methods[M]['result'];

export class SlaveAgent {
  private ctx: SlaveContext | undefined;

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
    const opened = openSlaveRoot(this.root, this.log);
    try {
      bindVolume(opened.index, opened.root, p, this.log);
    } catch (e) {
      opened.index.close(); // FOREIGN_MASTER: the connection stays unusable, hold nothing open
      throw e;
    }
    const isRoot = process.getuid?.() === 0;
    this.ctx = {
      index: opened.index,
      confine: new Confiner(opened.root),
      isRoot,
      stagingDir: opened.stagingDir,
      tmpDir: opened.tmpDir,
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
   * The context for one request. Verified directories are forgotten between requests: the slave
   * tree may have changed meanwhile (a symlink planted in place of a directory).
   */
  private need(): SlaveContext {
    if (this.ctx === undefined) throw new GeorepError('BAD_REQUEST', 'hello must come first');
    this.ctx.confine.invalidate();
    return this.ctx;
  }

  entryOps(p: P<'entryOps'>): R<'entryOps'> {
    return applyEntryOps(this.need(), p.ops);
  }

  metaOps(p: P<'metaOps'>): R<'metaOps'> {
    return applyMetaOps(this.need(), p.ops);
  }

  stageData(p: P<'stageData'>): R<'stageData'> {
    return stageData(this.need(), p);
  }

  commitData(p: P<'commitData'>): R<'commitData'> {
    return commitData(this.need(), p);
  }

  purgeUnknown(p: P<'purgeUnknown'>): R<'purgeUnknown'> {
    return purgeUnknown(this.need(), p);
  }

  seedBegin(): R<'seedBegin'> {
    return seedBegin(this.need());
  }

  seedCommit(): R<'seedCommit'> {
    return seedCommit(this.need());
  }

  seedAbort(): R<'seedAbort'> {
    seedAbort(this.need());
    return null;
  }

  adopt(p: P<'adopt'>): R<'adopt'> {
    return adopt(this.need(), p);
  }

  setStime(p: P<'setStime'>): R<'setStime'> {
    this.need().index.setMetaDurably('stimeMs', String(p.stimeMs));
    return null;
  }

  close(): void {
    this.ctx?.index.close();
    this.ctx = undefined;
  }
}
