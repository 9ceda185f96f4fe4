// AgentSlave: the slave of the syncer and master tests is the real agent (runAgent in-process,
// test/slave/harness.ts) on a real slave root: real staging boxes, real links and renames, the
// real SQLite index; there is no fake of it. This file only wires it up: place() lands a gfid
// the way the master's entry ops would (MKDIR for each missing parent, CREATE), calls are
// recorded on their way through (to see boxes and the basis flag), and a test injects faults
// with the agent's own seam (AgentHooks.beforeItem) or cut(), a connection that breaks.

import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import type { AgentHooks } from '../../src/slave/context.js';
import { LIMITS } from '../../src/slave/index.js';
import type { EntryOp, MethodName, Methods, SlaveCaller } from '../../src/slave/index.js';
import { ROOT_GFID, apply, newGfid, ops, readyAgent } from '../slave/harness.js';
import type { InProcessAgent } from '../slave/harness.js';

export interface RecordedCall {
  readonly method: 'stageData' | 'commitData';
  readonly box: string;
  readonly gfids: readonly Gfid[];
  readonly basis?: boolean;
}

/** Called before each item of each batch request the agent serves; may throw (that request fails). */
export type ItemHook = NonNullable<AgentHooks['beforeItem']>;

export class AgentSlave implements SlaveCaller {
  readonly calls: RecordedCall[] = [];
  /** Every method called, in order. */
  readonly methods: MethodName[] = [];
  /** The fault a test injects: runs inside the agent before each item (see AgentHooks). */
  beforeItem: ItemHook | undefined;
  /** Slave directory (relative) -> its gfid, for the parents place() makes. */
  readonly #dirs = new Map<string, Gfid>([['', ROOT_GFID]]);

  private constructor(
    private readonly agent: InProcessAgent,
    /** The slave root. */
    readonly root: string,
  ) {}

  /** A ready agent (past hello) on `root`, which it creates. */
  static async start(root: string): Promise<AgentSlave> {
    let slave: AgentSlave | undefined;
    const hooks: AgentHooks = { beforeItem: (method, index) => slave?.beforeItem?.(method, index) };
    slave = new AgentSlave(await readyAgent(root, { hooks }), root);
    return slave;
  }

  /** Where the agent stages its boxes: the Syncer's stagingDir. */
  get staging(): string {
    return path.join(this.root, '.georep', 'staging');
  }

  call<M extends MethodName>(
    method: M,
    params: Methods[M]['params'],
    signal?: AbortSignal,
  ): Promise<Methods[M]['result']> {
    this.methods.push(method);
    if (method === 'stageData' || method === 'commitData') {
      const p = params as Methods['stageData']['params'] | Methods['commitData']['params'];
      this.calls.push({
        method,
        box: p.box,
        gfids: p.items.map((i) => i.gfid),
        ...('basis' in p ? { basis: p.basis } : {}),
      });
    }
    return this.agent.client.call(method, params, signal);
  }

  /**
   * Makes `gfid` a regular file at `rel` on the slave through entry ops (its parents too, as
   * directories of their own gfids); `content` is the old copy written there.
   */
  async place(gfid: Gfid, rel: string, content?: string): Promise<void> {
    await this.placeAll([{ gfid, rel, ...(content === undefined ? {} : { content }) }]);
  }

  /**
   * place() for many files, in as few entry-op requests as LIMITS.opsPerBatch allows.
   * `deferred`: the CREATEs a master sends for new files whose data follows (the agent records
   * the names; the commit makes the files), so no empty file is replaced.
   */
  async placeAll(
    files: readonly { gfid: Gfid; rel: string; content?: string }[],
    opts: { readonly deferred?: boolean } = {},
  ): Promise<void> {
    const batch: EntryOp[] = [];
    for (const f of files) {
      const parts = f.rel.split('/');
      const name = parts.pop() ?? f.rel;
      let parent = ROOT_GFID;
      for (let i = 0; i < parts.length; i++) {
        const dir = parts.slice(0, i + 1).join('/');
        let dirGfid = this.#dirs.get(dir);
        if (dirGfid === undefined) {
          dirGfid = newGfid();
          batch.push(ops.mkdir(dirGfid, parent, parts[i] ?? ''));
          this.#dirs.set(dir, dirGfid);
        }
        parent = dirGfid;
      }
      batch.push(opts.deferred === true ? ops.createDeferred(f.gfid, parent, name) : ops.create(f.gfid, parent, name));
    }
    for (let i = 0; i < batch.length; i += LIMITS.opsPerBatch)
      await this.#apply(batch.slice(i, i + LIMITS.opsPerBatch));
    for (const f of files) if (f.content !== undefined) fs.writeFileSync(path.join(this.root, f.rel), f.content);
  }

  async #apply(batch: readonly EntryOp[]): Promise<void> {
    const failed = await apply(this.agent.client, batch);
    if (failed.length > 0) throw new Error(`entry ops failed on the test slave: ${failed.join(', ')}`);
  }

  /**
   * Breaks the connection as a dying agent does (its reply stream closes mid-request): the
   * request in flight and every later one fail with AGENT_DIED. Call from beforeItem to lose a
   * batch whose outcome the master then cannot know.
   */
  cut(): void {
    this.agent.fromAgent.destroy();
    this.agent.toAgent.end();
  }

  async close(): Promise<void> {
    await this.agent.client.close();
    await this.agent.done;
  }
}
