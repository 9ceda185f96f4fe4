// FakeSlave: the one fake of the syncer tests, a SlaveCaller doing stageData/commitData on a
// local slave dir with a flat gfid -> path map: hard-link basis into staging, rename to commit.
// It records every call so tests can see box sizes and the basis flag.

import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../../../src/changelog/index.js';
import { errnoOf, GeorepError, hasErrno } from '../../../src/errors.js';
import type { MethodName, Methods, OpFailure, SlaveCaller } from '../../../src/slave/index.js';

type Handlers = { [K in MethodName]: (p: Methods[K]['params']) => Promise<Methods[K]['result']> };

export interface RecordedCall {
  readonly method: 'stageData' | 'commitData';
  readonly gfids: readonly Gfid[];
  readonly basis?: boolean;
}

export interface FakeSlaveHooks {
  /** Runs before each call is served; may throw to simulate a dead agent. */
  before?(method: MethodName): void | Promise<void>;
}

export class FakeSlave implements SlaveCaller {
  /** gfid -> path relative to the slave root. */
  readonly paths = new Map<Gfid, string>();
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
    setStime: () => unsupported('setStime'),
    bye: () => unsupported('bye'),
    stageData: async (p) => this.stageData(p.gfids, p.basis),
    commitData: async (p) => this.commitData(p.gfids),
  };

  async call<M extends MethodName>(method: M, params: Methods[M]['params'], signal?: AbortSignal): Promise<Methods[M]['result']> {
    signal?.throwIfAborted();
    await this.hooks.before?.(method);
    return this.#handlers[method](params);
  }

  private stageData(gfids: readonly Gfid[], basis: boolean): Methods['stageData']['result'] {
    this.calls.push({ method: 'stageData', gfids: [...gfids], basis });
    const unknown: Gfid[] = [];
    for (const g of gfids) {
      const rel = this.paths.get(g);
      if (rel === undefined) {
        unknown.push(g);
        continue;
      }
      const staged = path.join(this.staging, g);
      if (isDirectory(staged)) continue; // left in place: tests plant one to make rsync fail on this gfid
      removeFile(staged);
      if (basis && fs.existsSync(path.join(this.root, rel))) fs.linkSync(path.join(this.root, rel), staged);
    }
    return { unknown };
  }

  private commitData(gfids: readonly Gfid[]): Methods['commitData']['result'] {
    this.calls.push({ method: 'commitData', gfids: [...gfids] });
    const missing: Gfid[] = [];
    const failures: OpFailure[] = [];
    let committed = 0;
    gfids.forEach((g, index) => {
      const staged = path.join(this.staging, g);
      const rel = this.paths.get(g);
      if (rel === undefined || !fs.existsSync(staged)) {
        missing.push(g);
        return;
      }
      try {
        fs.renameSync(staged, path.join(this.root, rel));
        removeFile(staged); // rename between two links of one inode leaves both in place
        committed++;
      } catch (e) {
        failures.push({ index, gfid: g, code: errnoOf(e) ?? 'IO_ERROR', message: `commit of ${rel} failed`, path: rel });
      }
    });
    return { committed, missing, failures };
  }
}

function removeFile(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch (e) {
    if (!hasErrno(e, 'ENOENT')) throw e;
  }
}

function isDirectory(p: string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
}

function unsupported(method: string): never {
  throw new GeorepError('BAD_REQUEST', `FakeSlave does not serve ${method}`);
}
