// SlaveCaller: how the master side talks to a slave agent. The implementation (SlaveClient)
// spawns `georep slave ROOT` and speaks protocol.ts over its stdin/stdout.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { GeorepError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { LineReader } from './line-reader.js';
import { LIMITS, validateParams, validateResult } from './protocol.js';
import { fromWireError, parseResponse } from './wire.js';
import type { MethodName, Methods } from './protocol.js';

export interface SlaveCaller {
  call<M extends MethodName>(
    method: M,
    params: Methods[M]['params'],
    signal?: AbortSignal,
  ): Promise<Methods[M]['result']>;
}

// SlaveClient: requests are numbered and matched to replies by id; params are validated before
// they leave. Invariant: once the agent is gone (exit, broken pipe, closed stream) every pending
// and later call fails with AGENT_DIED, carrying the agent's last stderr lines.

/** What an agent's exit code means, and its error code when that is not AGENT_DIED. */
export type ExitHint = (
  code: number,
  stderrTail: readonly string[],
) => { readonly text: string; readonly code?: ErrorCode } | undefined;

interface Pending {
  readonly method: MethodName;
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: GeorepError) => void;
}

const STDERR_TAIL_LINES = 20;
/** How long close() waits for the agent to exit after `bye` before it sends SIGTERM. */
const EXIT_GRACE_MS = 10_000;

export class SlaveClient implements SlaveCaller {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: GeorepError | undefined;
  private readonly death = new AbortController();
  private closing = false;
  private readonly stderrTail: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly log: Logger,
    private readonly child?: ChildProcess,
    exitHint?: ExitHint,
    private readonly what = 'slave agent',
  ) {
    const replies = new LineReader(LIMITS.messageBytes);
    input.on('data', (chunk: Buffer) =>
      replies.push(chunk).forEach((ev) => this.onReply(ev.kind === 'line' ? ev.text : undefined)),
    );
    output.on('error', (e) => this.die(`broke the request pipe (${e.message})`));
    if (child === undefined) {
      input.on('close', () => this.die('closed its reply stream'));
      this.exited = Promise.resolve();
      return;
    }
    // 'close' comes after stdout and stderr are drained: every reply and stderr line is in.
    this.exited = new Promise((done) => child.once('close', () => done()));
    child.once('close', (code, signal) => {
      const hint = code === null ? undefined : exitHint?.(code, this.stderrTail);
      const how = signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`;
      this.die(hint === undefined ? how : `${how}: ${hint.text}`, hint?.code);
    });
    child.once('error', (e) => this.die(`could not be started (${e.message})`));
  }

  /**
   * Spawns the agent: argv[0] is the executable (a local georep, or ssh … georep slave ROOT).
   * With `keepAliveMs`, a `ping` goes out whenever nothing else did for that long, so an agent
   * started with an idle timeout (over ssh) knows the master is still there.
   */
  static spawn(
    argv: readonly string[],
    log: Logger,
    opts: {
      readonly keepAliveMs?: number;
      /**
       * What an exit code means for this way of starting the agent (ssh: 127 is no georep
       * there), and the error code it gets when it is not AGENT_DIED (a cause no retry fixes).
       */
      readonly exitHint?: ExitHint;
      /**
       * What the spawned process is, for its death's message: over ssh the child is the ssh
       * client, and "the slave agent was killed" would send an operator to the wrong host.
       */
      readonly what?: string;
    } = {},
  ): SlaveClient {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new GeorepError('CONFIG_INVALID', 'the slave agent command is empty');
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new SlaveClient(child.stdout, child.stdin, log, child, opts.exitHint, opts.what);
    if (opts.keepAliveMs !== undefined) client.keepAlive(opts.keepAliveMs);
    const lines = new LineReader(64 * 1024);
    child.stderr.on('data', (chunk: Buffer) =>
      lines.push(chunk).forEach((ev) => client.onStderr(ev.kind === 'line' ? ev.text : '[over-long stderr line]')),
    );
    return client;
  }

  /** Talks to an agent over existing streams (in-process tests: runAgent on a pair of PassThroughs). */
  static connect(input: Readable, output: Writable, log: Logger = silentLogger()): SlaveClient {
    return new SlaveClient(input, output, log);
  }

  /** The agent's process id when spawned. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  call<M extends MethodName>(
    method: M,
    params: Methods[M]['params'],
    signal?: AbortSignal,
  ): Promise<Methods[M]['result']> {
    return new Promise<Methods[M]['result']>((resolve, reject) => {
      if (this.dead !== undefined) return reject(this.dead);
      if (signal?.aborted === true)
        return reject(new GeorepError('ABORTED', `${method} to the slave agent was aborted`));
      const id = this.nextId++;
      // The agent validates too; failing here names the caller's bug before anything is sent.
      const line = JSON.stringify({ id, method, params: validateParams(method, params) }) + '\n';
      if (Buffer.byteLength(line) - 1 > LIMITS.messageBytes) {
        return reject(
          new GeorepError(
            'LIMIT_EXCEEDED',
            `${method} request is over the ${LIMITS.messageBytes}-byte message limit; send smaller batches`,
          ),
        );
      }
      const onAbort = (): void => {
        this.pending.delete(id); // the agent still runs it; its reply is dropped
        reject(new GeorepError('ABORTED', `${method} to the slave agent was aborted`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          signal?.removeEventListener('abort', onAbort);
          fn(v);
        };
      this.pending.set(id, {
        method,
        resolve: settle((v: unknown) => resolve(v as Methods[M]['result'])),
        reject: settle(reject),
      });
      this.lastSentMs = performance.now();
      this.writeBatched(line);
    });
  }

  private lastSentMs = 0;
  private corked = false;

  /**
   * Requests made in one tick (a verify asking for several listings ahead) leave in one write:
   * a write to the pipe wakes the agent, and on a busy host each wake-up costs the writer.
   */
  private writeBatched(line: string): void {
    if (!this.corked) {
      this.corked = true;
      this.output.cork();
      process.nextTick(() => {
        this.corked = false;
        this.output.uncork();
      });
    }
    this.output.write(line);
  }

  /** Sends a ping whenever no request went out for `everyMs` and none is waiting for its reply. */
  private keepAlive(everyMs: number): void {
    const timer = setInterval(() => {
      if (this.dead !== undefined || this.closing) return clearInterval(timer);
      if (this.pending.size > 0 || performance.now() - this.lastSentMs < everyMs) return;
      // A lost ping is no news: the agent's death is reported by its exit, not here.
      this.call('ping', {}).catch(() => undefined);
    }, everyMs);
    timer.unref();
  }

  /** Says bye, ends the request stream and waits for the agent to exit. */
  async close(): Promise<void> {
    if (this.dead === undefined && !this.closing) {
      this.closing = true;
      try {
        await this.call('bye', {});
      } catch (e) {
        if (!(e instanceof GeorepError && e === this.dead)) throw e; // died meanwhile: nothing to say bye to
      }
      this.output.end();
    }
    if (this.child === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child?.kill('SIGTERM'), EXIT_GRACE_MS);
    timer.unref();
    await this.exited;
    clearTimeout(timer);
  }

  private onReply(line: string | undefined): void {
    if (line === undefined) return this.die('sent a reply over the message limit');
    const reply = parseResponse(line);
    if (reply === undefined) {
      // Not a reply: e.g. a login banner printed on stdout by a remote shell. Skip it.
      this.log.warn('slave agent: ignoring a line that is not a reply', { line: line.slice(0, 200) });
      return;
    }
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if ('error' in reply) {
      p.reject(fromWireError(reply.error));
      return;
    }
    // Replies that carry what the slave tree holds are checked as requests are (protocol.ts).
    let result: unknown;
    try {
      result = validateResult(p.method, reply.result);
    } catch (e) {
      p.reject(e instanceof GeorepError ? e : new GeorepError('BAD_REQUEST', String(e)));
      return;
    }
    p.resolve(result);
  }

  private onStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    const entry = parseLogLine(line);
    if (entry !== undefined) {
      this.log.log(entry.level, `slave: ${entry.message}`, entry.fields);
      return;
    }
    const level = /\b(ERROR|WARN)\b/.test(line) ? 'warn' : 'info';
    this.log.log(level, `slave: ${line}`);
  }

  /**
   * Aborts (with the AGENT_DIED error as reason) when the agent dies before close(): work that
   * can only end on the slave, such as a transfer whose box the agent would commit, can stop.
   */
  get died(): AbortSignal {
    return this.death.signal;
  }

  private die(how: string, code: ErrorCode = 'AGENT_DIED'): void {
    if (this.dead !== undefined) return;
    const tail = this.stderrTail.length === 0 ? '' : `; its last stderr lines:\n${this.stderrTail.join('\n')}`;
    this.dead = new GeorepError(code, `${this.what} ${how}${tail}`);
    if (!this.closing) this.death.abort(this.dead);
    if (!this.closing) this.log.warn('slave agent died', { how });
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }
}

const LEVELS = new Set(['error', 'warn', 'info', 'debug']);

/** A JSON log line of the agent (winston's json format), or undefined for any other line. */
export function parseLogLine(
  line: string,
): { level: string; message: string; fields: Record<string, unknown> } | undefined {
  if (!line.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined; // not ours: shown as plain text
    throw e;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { level, message, ...fields } = v as Record<string, unknown>;
  if (typeof level !== 'string' || !LEVELS.has(level) || typeof message !== 'string') return undefined;
  return { level, message, fields };
}
