// Supervisor: keeps a session's named children (recorder, worker, …) running, restarting each
// after its own backoff. Invariant: when run() settles, no child it started, nor anything in
// their process groups, is left running, and it only ever signals pids it started.

import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Clock } from '../clock.js';
import { GeorepError, hasErrno } from '../errors.js';
import type { Logger } from '../log.js';
import { Backoff, validateBackoffConfig } from './backoff.js';
import type { BackoffConfig } from './backoff.js';
import { parseChildMessage } from './child-message.js';
import type { ChildMessage } from './child-message.js';

export interface ChildSpec {
  /** Free text ('recorder', 'worker', …); unique within a supervisor. */
  readonly name: string;
  /** argv[0] is the executable (e.g. process.execPath), the rest its arguments. */
  readonly command: readonly string[];
  /** Default: process.env (children inherit the environment the monitor was given). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ChildExit {
  readonly name: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisorEvents {
  onStart?(name: string, pid: number): void;
  /**
   * `willRestartInMs` is undefined when the child is not restarted: its code was permanent
   * (the supervisor then stops the others and run() resolves `{ kind: 'permanent', exit }`,
   * whose caller reports the cause) or the supervisor is stopping.
   */
  onExit?(exit: ChildExit, willRestartInMs: number | undefined): void;
  /** A child sent a well-formed message (child-message.ts); malformed ones are logged and dropped. */
  onMessage?(name: string, message: ChildMessage): void;
}

export interface SupervisorOptions {
  readonly backoff: BackoffConfig;
  /** Exit codes that mean "restarting cannot help" (bad config, foreign slave, …). */
  readonly permanentExitCodes: ReadonlySet<number>;
  /** How long children get after SIGTERM before their process groups get SIGKILL. */
  readonly stopTimeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

export type SupervisorResult = { readonly kind: 'stopped' } | { readonly kind: 'permanent'; readonly exit: ChildExit };

/** Default for SupervisorOptions.stopTimeoutMs: long enough for a worker to finish its rsync batch. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * fd 3 is an IPC channel. Its first job is to close when the monitor dies, however it dies,
 * which a child notices through exitWhenParentGone(); it also carries the child's few
 * messages (child-message.ts) up to onMessage.
 */
const CHILD_STDIO: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc'];
const STOPPED: SupervisorResult = Object.freeze({ kind: 'stopped' });

/** One started child. `exited` settles on its 'exit' event; `done` is set synchronously then. */
interface Running {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  readonly done: () => boolean;
}

type Outcome = { readonly result: SupervisorResult } | { readonly error: unknown };

export class Supervisor {
  private readonly specs: readonly ChildSpec[];
  private readonly opts: SupervisorOptions;
  private readonly live = new Map<string, number>();
  private running = false;
  /** Ends the current run() with an error (an onMessage callback threw); set while run() runs. */
  private failRun: ((error: unknown) => void) | undefined;

  constructor(
    specs: readonly ChildSpec[],
    opts: SupervisorOptions,
    private readonly events: SupervisorEvents = {},
  ) {
    validate(specs, opts);
    this.specs = Object.freeze(specs.map((s) => Object.freeze({ ...s, command: Object.freeze([...s.command]) })));
    this.opts = Object.freeze({ ...opts, backoff: Object.freeze({ ...opts.backoff }) });
  }

  /** A snapshot of the children running now, by name. */
  get pids(): ReadonlyMap<string, number> {
    return new Map(this.live);
  }

  /**
   * Starts every child and keeps them running until `signal` aborts (→ 'stopped') or one
   * exits with a permanent code (→ 'permanent'). Rejects only if a child cannot be spawned
   * at all or an event callback throws; the children are stopped first in every case.
   */
  async run(signal: AbortSignal): Promise<SupervisorResult> {
    if (this.running) throw new Error('Supervisor.run() is already running');
    this.running = true;
    const stop = new AbortController();
    let first: Outcome | undefined;
    const settle = (o: Outcome): void => {
      first ??= o;
      stop.abort();
    };
    const onAbort = (): void => settle({ result: STOPPED });
    this.failRun = (error) => settle({ error });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(
        this.specs.map((spec) =>
          this.keepAlive(spec, stop.signal).then(
            (end) => {
              if (end.kind === 'permanent') settle({ result: end });
            },
            (error: unknown) => settle({ error }),
          ),
        ),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.failRun = undefined;
      this.running = false;
    }
    // Every loop ends only after `stop` aborted, and only settle() aborts it.
    if (first === undefined) throw new Error('supervisor loops ended without a cause');
    if ('error' in first) throw first.error;
    return first.result;
  }

  /** One child's life: start, wait, restart after backoff; ends only once `stop` is aborted. */
  private async keepAlive(spec: ChildSpec, stop: AbortSignal): Promise<SupervisorResult> {
    const backoff = new Backoff(this.opts.backoff, this.opts.clock);
    const { log, clock } = this.opts;
    while (!stop.aborted) {
      const run = await this.start(spec);
      let exit: ChildExit;
      try {
        backoff.started();
        this.events.onStart?.(spec.name, run.pid);
        exit = await this.waitOrStop(run, stop);
      } finally {
        // Reached with the child alive only when onStart threw: never leave it behind.
        if (!run.done()) await this.terminate(run);
      }
      if (stop.aborted) {
        this.events.onExit?.(exit, undefined);
        return STOPPED;
      }
      if (exit.code !== null && this.opts.permanentExitCodes.has(exit.code)) {
        log.error('child exited with a permanent code; stopping all children', { ...exitFields(exit) });
        this.events.onExit?.(exit, undefined);
        return { kind: 'permanent', exit };
      }
      const delayMs = backoff.exited();
      log.warn('child exited; restarting after backoff', { ...exitFields(exit), restartInMs: delayMs });
      this.events.onExit?.(exit, delayMs);
      try {
        await clock.sleep(delayMs, stop);
      } catch (e) {
        if (!stop.aborted) throw e;
      }
    }
    return STOPPED;
  }

  /** Resolves with the child's exit; if `stop` aborts first, stops the child and then resolves. */
  private async waitOrStop(run: Running, stop: AbortSignal): Promise<ChildExit> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'stop'>((resolve) => {
      onAbort = () => resolve('stop');
      if (stop.aborted) onAbort();
      else stop.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const first = await Promise.race([run.exited, aborted]);
      return first === 'stop' ? await this.terminate(run) : first;
    } finally {
      // `stop` outlives many restarts; a listener per restart would pile up on it.
      if (onAbort !== undefined) stop.removeEventListener('abort', onAbort);
    }
  }

  /** SIGTERM to the child's group, then SIGKILL to it after stopTimeoutMs if the child lingers. */
  private async terminate(run: Running): Promise<ChildExit> {
    const { clock, log, stopTimeoutMs } = this.opts;
    log.info('stopping child', { child: run.name, pid: run.pid });
    this.signalGroup(run, 'SIGTERM');
    const timer = new AbortController();
    const timedOut = await Promise.race([
      run.exited.then(() => false),
      clock.sleep(stopTimeoutMs, timer.signal).then(
        () => true,
        () => false,
      ),
    ]);
    timer.abort(); // frees the timer when the child exited first
    if (timedOut && !run.done()) {
      log.warn('child ignored SIGTERM; killing its process group', { child: run.name, pid: run.pid, stopTimeoutMs });
      this.signalGroup(run, 'SIGKILL');
    }
    return run.exited;
  }

  /** Signals the child's whole process group, but only while the child is ours and unreaped. */
  private signalGroup(run: Running, signal: NodeJS.Signals): void {
    if (run.done()) return;
    killGroup(run.pid, signal, this.opts.log);
  }

  /** Spawns `spec`; resolves once the OS has started it, rejects with IO_ERROR if it cannot. */
  private start(spec: ChildSpec): Promise<Running> {
    const [file = '', ...args] = spec.command;
    return new Promise<Running>((resolve, reject) => {
      let child: ChildProcess;
      try {
        // detached: the child leads its own process group, so signalling -pid also reaches
        // the rsync/ssh it runs. The price is that it no longer dies with us: see CHILD_STDIO.
        child = spawn(file, args, { stdio: CHILD_STDIO, detached: true, env: spec.env ?? process.env, cwd: spec.cwd });
      } catch (e) {
        reject(spawnError(spec, e));
        return;
      }
      child.once('error', (e) => reject(spawnError(spec, e)));
      child.once('spawn', () => {
        child.removeAllListeners('error');
        // Later errors (a failed kill or IPC write) leave the child running; its exit still comes.
        child.on('error', (e) => this.opts.log.warn('child process error', { child: spec.name, error: e.message }));
        resolve(this.track(spec.name, child));
      });
    });
  }

  private track(name: string, child: ChildProcess): Running {
    const pid = child.pid;
    // After 'spawn' Node has set the pid; a missing one means libuv broke its contract.
    if (pid === undefined) throw new Error(`child ${name} spawned without a pid`);
    let done = false;
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        this.live.delete(name);
        // Whatever the child left in its group (an rsync mid-transfer) has no one to stop it
        // now. Signalled in the same tick as the reap: the group id cannot be reused while
        // any member lives, and with none left this is a harmless ESRCH.
        killGroup(pid, 'SIGKILL', this.opts.log);
        resolve({ name, pid, code, signal });
      });
    });
    child.on('message', (raw: unknown) => this.deliver(name, raw));
    this.live.set(name, pid);
    this.opts.log.info('child started', { child: name, pid });
    return { name, pid, exited, done: () => done };
  }

  /** Hands a child's message to onMessage; from an event, so a throw ends run() instead of the process. */
  private deliver(name: string, raw: unknown): void {
    const message = parseChildMessage(raw);
    if (message === undefined) {
      this.opts.log.warn('dropped a malformed message from a child', { child: name });
      return;
    }
    try {
      this.events.onMessage?.(name, message);
    } catch (e) {
      this.failRun?.(e);
    }
  }
}

function killGroup(pid: number, signal: NodeJS.Signals, log: Logger): void {
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if (!hasErrno(e, 'ESRCH')) log.warn('cannot signal child process group', { pid, signal, error: String(e) });
  }
}

function spawnError(spec: ChildSpec, e: unknown): GeorepError {
  const what = e instanceof Error ? e.message : String(e);
  return new GeorepError(
    'IO_ERROR',
    `cannot start child ${spec.name} (${spec.command[0] ?? ''}${spec.cwd === undefined ? '' : ` in ${spec.cwd}`}): ${what}; check the command and its working directory`,
    { path: spec.command[0], cause: e },
  );
}

function exitFields(exit: ChildExit): Record<string, unknown> {
  return { child: exit.name, pid: exit.pid, code: exit.code, signal: exit.signal };
}

function validate(specs: readonly ChildSpec[], opts: SupervisorOptions): void {
  validateBackoffConfig(opts.backoff);
  if (specs.length === 0) throw new GeorepError('CONFIG_INVALID', 'a supervisor needs at least one child');
  const names = new Set<string>();
  for (const s of specs) {
    if (s.name === '' || names.has(s.name)) {
      throw new GeorepError(
        'CONFIG_INVALID',
        `child names must be unique and non-empty, got ${JSON.stringify(s.name)}`,
      );
    }
    names.add(s.name);
    if (s.command.length === 0 || s.command[0] === '') {
      throw new GeorepError('CONFIG_INVALID', `child ${s.name} has no executable in its command`);
    }
  }
  if (!Number.isFinite(opts.stopTimeoutMs) || opts.stopTimeoutMs < 0) {
    throw new GeorepError('CONFIG_INVALID', `stopTimeoutMs expects milliseconds >= 0, got ${opts.stopTimeoutMs}`);
  }
}
