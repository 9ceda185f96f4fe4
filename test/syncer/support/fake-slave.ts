// FakeSlave: the one fake of the syncer tests, a SlaveCaller doing stageData/commitData on a
// local slave dir with a flat gfid -> slave path map: a box folder per box, items at their
// master paths in it, hard-link basis, rename to commit, box removed at commit. It validates
// params as SlaveClient does, and records every call so tests can see boxes and the basis flag.

import fs from 'node:fs';
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import type { Gfid } from '../../../src/changelog/index.js';
import { errnoOf, GeorepError } from '../../../src/errors.js';
import { decodePath, validateParams } from '../../../src/slave/index.js';
import type { Committed, MethodName, Methods, OpFailure, SlaveCaller, StageItem } from '../../../src/slave/index.js';

type Handlers = { [K in MethodName]: (p: Methods[K]['params']) => Methods[K]['result'] };

export interface RecordedCall {
  readonly method: 'stageData' | 'commitData';
  readonly box: string;
  readonly gfids: readonly Gfid[];
  readonly basis?: boolean;
}

export interface FakeSlaveHooks {
  /** Runs before each call is served; may throw to simulate a dead agent. */
  before?(method: MethodName): void | Promise<void>;
}

export class FakeSlave implements SlaveCaller {
  /** gfid -> path relative to the slave root: the slave's own name for the gfid. */
  readonly paths = new Map<Gfid, string>();
  /** gfids whose staged path stageData blocks with a non-empty directory: rsync cannot place them (exit 23). */
  readonly blocked = new Set<Gfid>();
  readonly calls: RecordedCall[] = [];

  constructor(
    readonly root: string,
    readonly staging: string,
    private readonly hooks: FakeSlaveHooks = {},
  ) {}

  readonly #handlers: Handlers = {
    hello: () => unsupported('hello'),
    entryOps: () => unsupported('entryOps'),
    metaOps: () => unsupported('metaOps'),
    purgeUnknown: () => unsupported('purgeUnknown'),
    countRemovals: () => unsupported('countRemovals'),
    setStime: () => unsupported('setStime'),
    seedBegin: () => unsupported('seedBegin'),
    seedCommit: () => unsupported('seedCommit'),
    seedAbort: () => unsupported('seedAbort'),
    adopt: () => unsupported('adopt'),
    listDir: () => unsupported('listDir'),
    hashFiles: () => unsupported('hashFiles'),
    dropPaths: () => unsupported('dropPaths'),
    forgetNames: () => unsupported('forgetNames'),
    ping: () => null,
    bye: () => unsupported('bye'),
    stageData: (p) => this.stageData(p.box, p.items, p.basis),
    commitData: (p) => this.commitData(p.box, p.items),
  };

  async call<M extends MethodName>(
    method: M,
    params: Methods[M]['params'],
    signal?: AbortSignal,
  ): Promise<Methods[M]['result']> {
    signal?.throwIfAborted();
    const valid = validateParams(method, params); // SlaveClient validates before sending
    await this.hooks.before?.(method);
    return this.#handlers[method](valid);
  }

  /** Absolute slave path of a gfid's file. */
  slavePath(gfid: Gfid): string | undefined {
    const rel = this.paths.get(gfid);
    return rel === undefined ? undefined : path.join(this.root, rel);
  }

  #staged(box: string, item: StageItem): Buffer {
    return Buffer.concat([Buffer.from(path.join(this.staging, box) + '/'), decodePath(item.path)]);
  }

  private stageData(box: string, items: readonly StageItem[], basis: boolean): Methods['stageData']['result'] {
    this.calls.push({ method: 'stageData', box, gfids: items.map((i) => i.gfid), basis });
    const boxDir = path.join(this.staging, box);
    fs.rmSync(boxDir, { recursive: true, force: true });
    fs.mkdirSync(boxDir);
    const unknown: Gfid[] = [];
    for (const item of items) {
      const staged = this.#staged(box, item);
      fs.mkdirSync(staged.subarray(0, staged.lastIndexOf(0x2f)), { recursive: true });
      const live = this.slavePath(item.gfid);
      if (live === undefined) unknown.push(item.gfid);
      else if (this.blocked.has(item.gfid))
        fs.mkdirSync(Buffer.concat([staged, Buffer.from('/sub')]), { recursive: true });
      else if (basis && (fs.lstatSync(live, { throwIfNoEntry: false })?.size ?? 0) > 0) fs.linkSync(live, staged);
    }
    return { unknown };
  }

  private commitData(box: string, items: readonly StageItem[]): Methods['commitData']['result'] {
    this.calls.push({ method: 'commitData', box, gfids: items.map((i) => i.gfid) });
    const missing: Gfid[] = [];
    const committed: Committed[] = [];
    const failures: OpFailure[] = [];
    items.forEach((item, index) => {
      const staged = this.#staged(box, item);
      const st = fs.lstatSync(staged, { bigint: true, throwIfNoEntry: false });
      const live = this.slavePath(item.gfid);
      if (st === undefined || !st.isFile() || live === undefined) {
        missing.push(item.gfid);
        return;
      }
      const was = fs.lstatSync(live, { bigint: true, throwIfNoEntry: false });
      if (was?.ino === st.ino) {
        committed.push(committedOf(item.gfid, false, st)); // the basis, untouched by the engine
        return;
      }
      try {
        fs.renameSync(staged, live);
        committed.push(committedOf(item.gfid, true, st));
      } catch (e) {
        failures.push({
          index,
          gfid: item.gfid,
          code: errnoOf(e) ?? 'IO_ERROR',
          message: `commit of ${item.path} failed`,
          path: item.path,
        });
      }
    });
    fs.rmSync(path.join(this.staging, box), { recursive: true, force: true });
    return { committed, missing, failures };
  }
}

function committedOf(gfid: Gfid, replaced: boolean, st: BigIntStats): Committed {
  return {
    gfid,
    replaced,
    size: Number(st.size),
    mtime: { sec: Number(st.mtimeNs / 1_000_000_000n), nsec: Number(st.mtimeNs % 1_000_000_000n) },
  };
}

function unsupported(method: string): never {
  throw new GeorepError('BAD_REQUEST', `FakeSlave does not serve ${method}`);
}
