// Test harness for the slave agent: temp slave roots, an in-process agent (runAgent over a pair
// of PassThrough streams) reached through SlaveClient, and builders for ops and wire names.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ROOT_GFID, asGfid, displayPath, escapeName } from '../../src/changelog/index.js';
import type { Gfid } from '../../src/changelog/index.js';
import { silentLogger } from '../../src/log.js';
import type { Logger } from '../../src/log.js';
import type { AgentHooks } from '../../src/slave/context.js';
import { PROTOCOL_VERSION, SlaveClient, runAgent } from '../../src/slave/index.js';
import type { EntryOp, Methods, StageItem, WireEntry } from '../../src/slave/index.js';

export const VOLUME = '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
export { ROOT_GFID };

export function newGfid(): Gfid {
  const g = asGfid(randomUUID());
  if (g === undefined) throw new Error('randomUUID gave no gfid');
  return g;
}

/** Temp directories made by a test, removed by cleanupTemps() in afterEach. */
const temps: string[] = [];

export function makeTemp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'georep-slave-'));
  temps.push(dir);
  return dir;
}

export function cleanupTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface InProcessAgent {
  readonly client: SlaveClient;
  /** Settles when runAgent returns. */
  readonly done: Promise<void>;
  readonly toAgent: PassThrough;
  readonly fromAgent: PassThrough;
}

/** How a test starts its agent: the test seam (AgentHooks) and a logger of its own. */
export interface AgentOptions {
  readonly hooks?: AgentHooks;
  readonly log?: Logger;
}

export function startAgent(root: string, opts: AgentOptions = {}): InProcessAgent {
  const toAgent = new PassThrough();
  const fromAgent = new PassThrough();
  const done = runAgent(root, toAgent, fromAgent, opts.log ?? silentLogger(), { hooks: opts.hooks ?? {} });
  return { client: SlaveClient.connect(fromAgent, toAgent), done, toAgent, fromAgent };
}

export function helloParams(over: Partial<Methods['hello']['params']> = {}): Methods['hello']['params'] {
  return { version: PROTOCOL_VERSION, masterVolume: VOLUME, masterPath: '/srv/master', rebind: false, ...over };
}

/** stdin for an agent process that answers a hello (id 1) and a bye (id 2), then exits. */
export function helloByeLines(): string {
  const hello = { id: 1, method: 'hello', params: helloParams() };
  return `${JSON.stringify(hello)}\n${JSON.stringify({ id: 2, method: 'bye', params: {} })}\n`;
}

export type ReadyAgent = InProcessAgent & { readonly root: string };

/**
 * Mocha hooks for a test file: a ready agent per test, closed and its temp dirs removed after
 * it. The returned object reads through to the current test's agent.
 */
export function useReadyAgent(opts: AgentOptions = {}): ReadyAgent {
  let current: ReadyAgent | undefined;
  beforeEach(async () => {
    current = await readyAgent(undefined, opts);
  });
  afterEach(async () => {
    if (current !== undefined) {
      await current.client.close();
      await current.done;
    }
    current = undefined;
    cleanupTemps();
  });
  const now = (): ReadyAgent => {
    if (current === undefined) throw new Error('the agent exists only inside a test');
    return current;
  };
  return {
    get client() {
      return now().client;
    },
    get done() {
      return now().done;
    },
    get toAgent() {
      return now().toAgent;
    },
    get fromAgent() {
      return now().fromAgent;
    },
    get root() {
      return now().root;
    },
  };
}

/** An agent on a fresh temp root, already past hello. */
export async function readyAgent(
  root = join(makeTemp(), 'slave'),
  opts: AgentOptions = {},
): Promise<InProcessAgent & { root: string }> {
  const agent = startAgent(root, opts);
  await agent.client.call('hello', helloParams());
  return { ...agent, root };
}

export const wire = (name: string | Buffer): string => escapeName(Buffer.isBuffer(name) ? name : Buffer.from(name));
export const at = (pargfid: Gfid, name: string | Buffer): WireEntry => ({ pargfid, name: wire(name) });

/** A stage item: the gfid and its master-relative path (raw bytes, '/'-separated) as a WirePath. */
export const item = (gfid: Gfid, path: string | Buffer): StageItem => ({
  gfid,
  path: displayPath(Buffer.isBuffer(path) ? path : Buffer.from(path)),
});

type CreateOp = Extract<EntryOp, { op: 'CREATE' }>;
type RenameOp = Extract<EntryOp, { op: 'RENAME' }>;

export const ops = {
  create: (gfid: Gfid, parent: Gfid, name: string | Buffer, mode = 0o100644): CreateOp => ({
    op: 'CREATE',
    gfid,
    entry: at(parent, name),
    mode,
    uid: 0,
    gid: 0,
  }),
  /** CREATE whose data follows in the same batch: the agent records the name, the commit makes the file. */
  createDeferred: (gfid: Gfid, parent: Gfid, name: string | Buffer, mode = 0o100644): EntryOp => ({
    ...ops.create(gfid, parent, name, mode),
    deferred: true,
  }),
  mkdir: (gfid: Gfid, parent: Gfid, name: string | Buffer, mode = 0o40755): EntryOp => ({
    op: 'MKDIR',
    gfid,
    entry: at(parent, name),
    mode,
    uid: 0,
    gid: 0,
  }),
  mknod: (gfid: Gfid, parent: Gfid, name: string, mode: number, rdev = 0): EntryOp => ({
    op: 'MKNOD',
    gfid,
    entry: at(parent, name),
    mode,
    uid: 0,
    gid: 0,
    rdev,
  }),
  symlink: (gfid: Gfid, parent: Gfid, name: string, target: string): EntryOp => ({
    op: 'SYMLINK',
    gfid,
    entry: at(parent, name),
    target: wire(target),
    uid: 0,
    gid: 0,
  }),
  link: (gfid: Gfid, parent: Gfid, name: string): EntryOp => ({ op: 'LINK', gfid, entry: at(parent, name) }),
  rename: (gfid: Gfid, from: WireEntry, to: WireEntry): RenameOp => ({ op: 'RENAME', gfid, entry: from, to }),
  unlink: (gfid: Gfid, parent: Gfid, name: string | Buffer): EntryOp => ({
    op: 'UNLINK',
    gfid,
    entry: at(parent, name),
  }),
  rmdir: (gfid: Gfid, parent: Gfid, name: string | Buffer): EntryOp => ({ op: 'RMDIR', gfid, entry: at(parent, name) }),
};

/** Runs one batch and returns the failure codes (empty when all applied). */
export async function apply(client: SlaveClient, batch: readonly EntryOp[]): Promise<string[]> {
  const { failures } = await client.call('entryOps', { ops: batch });
  return failures.map((f) => f.code);
}

/** The agent's raw wire, for tests that send what no SlaveClient would. */
export class RawWire {
  private pending = '';
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];
  readonly toAgent = new PassThrough();
  readonly fromAgent = new PassThrough();
  readonly done: Promise<void>;

  constructor(root: string) {
    this.done = runAgent(root, this.toAgent, this.fromAgent, silentLogger());
    this.fromAgent.on('data', (chunk: Buffer) => {
      const parts = (this.pending + chunk.toString('utf8')).split('\n');
      this.pending = parts.pop() ?? '';
      for (const line of parts) {
        const w = this.waiters.shift();
        if (w === undefined) this.lines.push(line);
        else w(line);
      }
    });
  }

  send(data: string | Buffer): void {
    this.toAgent.write(data);
  }

  request(id: number, method: string, params: unknown): void {
    this.send(JSON.stringify({ id, method, params }) + '\n');
  }

  /** The next reply, parsed. */
  async reply(): Promise<{ id: number; result?: unknown; error?: { code: string; message: string; path?: string } }> {
    const line = this.lines.shift() ?? (await new Promise<string>((resolve) => this.waiters.push(resolve)));
    return JSON.parse(line) as { id: number; result?: unknown; error?: { code: string; message: string } };
  }
}
