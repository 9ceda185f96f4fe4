// The agent's RPC server: JSON lines over a byte stream (stdin/stdout for `georep slave ROOT`).
// Invariant: requests are served one at a time, in order; a bad request (oversize, malformed,
// unknown method, invalid params, failing op) gets an error reply and the server keeps serving.

import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { GeorepError, isGeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { LineReader } from './line-reader.js';
import type { LineEvent } from './line-reader.js';
import { LIMITS, validateParams } from './protocol.js';
import type { MethodName } from './protocol.js';
import type { AgentHooks } from './context.js';
import { SlaveAgent } from './slave-agent.js';
import { isRejected, parseRequest, salvageId, toWireError } from './wire.js';
import type { RawResponse } from './wire.js';

interface Outcome {
  readonly response: RawResponse;
  readonly stop: boolean;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new GeorepError('BAD_REQUEST', 'the request stream must carry bytes');
}

/**
 * Only the names of METHOD_NAMES reach a handler, each through its own validator: hello opens
 * the agent's context, ping and bye need none, and the agent serves the rest on that context.
 */
function dispatch(agent: SlaveAgent, method: MethodName, params: unknown): unknown {
  switch (method) {
    case 'hello':
      return agent.hello(validateParams('hello', params));
    case 'ping':
    case 'bye':
      validateParams(method, params);
      return null;
    default:
      return agent.serve(method, validateParams(method, params));
  }
}

class RpcServer {
  private broken = false;

  constructor(
    private readonly agent: SlaveAgent,
    private readonly output: Writable,
    private readonly log: Logger,
  ) {
    // The master went away (EPIPE…): stop serving rather than crash on an unhandled 'error'.
    output.on('error', (e) => {
      this.broken = true;
      log.warn('slave agent: reply stream failed; stopping', { error: e.message });
    });
  }

  /**
   * Serves until the input ends, `bye` is answered, the reply stream breaks, or (with
   * `idleMs`) no byte arrives for that long between requests: over ssh a dropped link may
   * never end the input, and the master pings while idle, so silence means it is gone.
   */
  async serve(input: Readable, idleMs?: number, stop?: AbortSignal): Promise<void> {
    const reader = new LineReader(LIMITS.messageBytes);
    let timer: NodeJS.Timeout | undefined;
    let silent = false;
    // Asked to stop (a signal): the request in hand is answered (each one runs to its end before
    // the next chunk is read), then the input is closed and the caller closes the index.
    let stopped = false;
    const onStop = (): void => {
      stopped = true;
      input.destroy();
    };
    if (stop?.aborted === true) return;
    stop?.addEventListener('abort', onStop, { once: true });
    const arm = (): void => {
      if (idleMs === undefined) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        input.destroy();
      }, idleMs);
    };
    try {
      arm();
      for await (const chunk of input as AsyncIterable<unknown>) {
        clearTimeout(timer);
        if (await this.handleAll(reader.push(toBuffer(chunk)))) return;
        arm();
      }
      await this.handleAll(reader.end());
    } catch (e) {
      if (!silent && !stopped) throw e;
    } finally {
      stop?.removeEventListener('abort', onStop);
      clearTimeout(timer);
      if (silent)
        this.log.warn(`slave agent: no word from the master for ${(idleMs ?? 0) / 1000} s; it is gone, stopping`);
    }
  }

  private async handleAll(events: readonly LineEvent[]): Promise<boolean> {
    for (const ev of events) {
      if (ev.kind === 'line' && ev.text.trim() === '') continue;
      const { response, stop } = this.handle(ev);
      await this.send(response);
      if (stop || this.broken) return true;
    }
    return false;
  }

  private handle(ev: LineEvent): Outcome {
    if (ev.kind === 'oversize') {
      const message = `request of ${ev.bytes} bytes is over the ${LIMITS.messageBytes}-byte message limit`;
      return { response: { id: salvageId(ev.head), error: { code: 'LIMIT_EXCEEDED', message } }, stop: false };
    }
    let req: ReturnType<typeof parseRequest>;
    try {
      req = parseRequest(ev.text);
    } catch (e) {
      // Whatever a line holds, it gets an answer and the server goes on (a RangeError from a
      // peer's pathological nesting included).
      const message = `request could not be read: ${e instanceof Error ? e.message : String(e)}`;
      return { response: { id: salvageId(ev.text), error: { code: 'BAD_REQUEST', message } }, stop: false };
    }
    if (isRejected(req)) return { response: { id: req.id, error: toWireError(req.error) }, stop: false };
    try {
      return {
        response: { id: req.id, result: dispatch(this.agent, req.method, req.params) },
        stop: req.method === 'bye',
      };
    } catch (caught) {
      const e = this.agent.failure(caught);
      // The RPC boundary answers every failure (as the monitor is the one place that catches all
      // on the master side); one that is no GeorepError is a bug worth a stack in the log.
      if (!isGeorepError(e))
        this.log.error('slave agent: request failed unexpectedly', {
          method: req.method,
          error: e instanceof Error ? e.stack : String(e),
        });
      return { response: { id: req.id, error: toWireError(e) }, stop: false };
    }
  }

  /** Writes one reply and waits until the stream took it (backpressure, and `bye` is flushed). */
  private async send(response: RawResponse): Promise<void> {
    if (this.broken) return;
    const line = boundedLine(response);
    await new Promise<void>((done) => {
      this.output.write(line, () => done());
    });
  }
}

/** Characters of a failure's message and path kept when a reply would be over the limit. */
const SHRUNK_TEXT = 160;

/** Cuts a text for a person to `max` characters, keeping both ends (a path's tail names the entry). */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 1) / 2);
  return `${text.slice(0, half)}…${text.slice(text.length - half)}`;
}

/**
 * A reply as one line within LIMITS.messageBytes, as requests are. A batch of failures with long
 * names can exceed it (every retry then failing the same way): the failures' messages and paths,
 * which are for people, are shortened; no failure is ever dropped, since a missing one would read
 * as success. A reply still too big becomes an error reply.
 */
export function boundedLine(response: RawResponse): string {
  const line = JSON.stringify(response) + '\n';
  if (Buffer.byteLength(line) - 1 <= LIMITS.messageBytes || !('result' in response)) return line;
  const result = response.result;
  if (typeof result === 'object' && result !== null && 'failures' in result && Array.isArray(result.failures)) {
    const failures = (result.failures as Record<string, unknown>[]).map((f) => ({
      ...f,
      ...(typeof f['message'] === 'string' ? { message: shorten(f['message'], SHRUNK_TEXT) } : {}),
      ...(typeof f['path'] === 'string' ? { path: shorten(f['path'], SHRUNK_TEXT) } : {}),
    }));
    const shrunk = JSON.stringify({ id: response.id, result: { ...result, failures } }) + '\n';
    if (Buffer.byteLength(shrunk) - 1 <= LIMITS.messageBytes) return shrunk;
  }
  const message = `the reply to request ${response.id} is over the ${LIMITS.messageBytes}-byte message limit; send smaller batches`;
  return JSON.stringify({ id: response.id, error: { code: 'LIMIT_EXCEEDED', message } }) + '\n';
}

/**
 * Runs the slave agent for `root` on a request stream and a reply stream. Resolves when the
 * input ends, `bye` arrives or `opts.stop` aborts; the index is closed either way (a close
 * checkpoints its WAL into the database file and removes it: killed instead, an agent left the
 * whole index in the WAL, where a damaged page silently took later commits with it). Logs go to `log` (stderr), never
 * to `output`, which is the wire. `hooks` is a test seam (AgentHooks); `georep slave` gives none.
 */
export async function runAgent(
  root: string,
  input: Readable,
  output: Writable,
  log: Logger,
  opts: { readonly idleTimeoutMs?: number; readonly hooks?: AgentHooks; readonly stop?: AbortSignal } = {},
): Promise<void> {
  const agent = new SlaveAgent(resolve(root), log, opts.hooks);
  try {
    await new RpcServer(agent, output, log).serve(input, opts.idleTimeoutMs, opts.stop);
  } finally {
    agent.close();
  }
}
