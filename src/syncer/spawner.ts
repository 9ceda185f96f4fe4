// Spawner: the one seam through which src/syncer starts processes (a thin wrapper over execa).
// Invariant: every child runs in its own process group, and an abort kills the whole group,
// so rsync's forked receiver and ssh die with it instead of holding our pipes open.

import { hasErrno } from '../errors.js';
import { KILL_GRACE_MS } from './constants.js';

export interface Command {
  readonly file: string;
  readonly args: readonly string[];
}

export interface RunOptions {
  /** Chunks written to the child's stdin, pulled with backpressure; empty stdin when absent. */
  readonly stdin?: Iterable<string | Uint8Array>;
  /** Aborting kills the child's process group (SIGTERM, then SIGKILL after the grace period). */
  readonly signal?: AbortSignal;
  /**
   * Called once the child runs, or once it is clear it will not: the start is asynchronous
   * (execa loads on first use), and a caller about to hold the event loop waits for this.
   */
  readonly onStarted?: () => void;
}

/** How one child ended. A failure has the same shape as a success (as execa's result does). */
export interface SpawnOutcome {
  readonly argv: readonly string[];
  /** undefined when the child was killed by a signal or never started. */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** True when the run was cut short through the AbortSignal. */
  readonly aborted: boolean;
  /** Why the child could not be started (e.g. `spawn rsync ENOENT`), when it was not. */
  readonly startError: string | undefined;
}

export interface PipeOutcome {
  readonly source: SpawnOutcome;
  readonly dest: SpawnOutcome;
  readonly aborted: boolean;
}

export interface Spawner {
  run(cmd: Command, opts?: RunOptions): Promise<SpawnOutcome>;
  /** `source | dest`: source's stdout feeds dest's stdin; source's stdout is not buffered. */
  pipe(source: Command, dest: Command, opts?: RunOptions): Promise<PipeOutcome>;
}

export interface SpawnerOptions {
  /** Milliseconds between SIGTERM and SIGKILL of an aborted group; default KILL_GRACE_MS. */
  readonly killGraceMs?: number;
}

/** The fields of an execa result we read (reject: false gives the same shape on failure). */
interface ExecaOutcome {
  readonly exitCode?: number | undefined;
  readonly signal?: string | undefined;
  readonly stdout?: unknown;
  readonly stderr?: unknown;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly code?: string | undefined;
  readonly originalMessage?: string | undefined;
}

/**
 * execa is loaded on first use: it is a tenth of a second of start-up, and a run that finds
 * nothing to send (an unchanged tree) never starts a transfer.
 */
const loadExeca = (): Promise<typeof import('execa')> => import('execa');

/**
 * Starts loading execa now, for a process that waits before its first transfer anyway (the
 * live worker while its agent starts): its first box after a restart then does not load it on
 * the catch-up's critical path (0.1-0.2 s there, in a profile). A failure shows at the first
 * spawn, as without this.
 */
export function preloadSpawner(): void {
  loadExeca().catch(() => undefined);
}

export class ExecaSpawner implements Spawner {
  readonly #killGraceMs: number;

  constructor(opts: SpawnerOptions = {}) {
    this.#killGraceMs = opts.killGraceMs ?? KILL_GRACE_MS;
  }

  async run(cmd: Command, opts: RunOptions = {}): Promise<SpawnOutcome> {
    if (opts.signal?.aborted === true) {
      opts.onStarted?.();
      return notStarted(cmd, 'aborted before start', true);
    }
    let child;
    try {
      const { execa } = await loadExeca();
      child = execa(cmd.file, [...cmd.args], {
        detached: true, // own process group: see the file comment
        reject: false,
        stdin: opts.stdin ?? 'ignore',
      });
    } finally {
      opts.onStarted?.();
    }
    const guard = new GroupGuard(definedPids([child.pid]), opts.signal, this.#killGraceMs);
    try {
      return toOutcome(cmd, await child, guard.fired);
    } finally {
      guard.settle();
    }
  }

  async pipe(source: Command, dest: Command, opts: RunOptions = {}): Promise<PipeOutcome> {
    if (opts.signal?.aborted === true) {
      const src = notStarted(source, 'aborted before start', true);
      return { source: src, dest: notStarted(dest, 'aborted before start', true), aborted: true };
    }
    // The archive stream can be gigabytes: it goes straight into dest, never into a buffer.
    const { execa } = await loadExeca();
    const src = execa(source.file, [...source.args], {
      detached: true,
      reject: false,
      stdin: opts.stdin ?? 'ignore',
      buffer: { stdout: false, stderr: true },
    });
    const dst = execa(dest.file, [...dest.args], { detached: true, reject: false });
    const piped = src.pipe(dst);
    const guard = new GroupGuard(definedPids([src.pid, dst.pid]), opts.signal, this.#killGraceMs);
    try {
      const [a, b] = await Promise.all([src, dst, piped]);
      const aborted = guard.fired;
      return { source: toOutcome(source, a, aborted), dest: toOutcome(dest, b, aborted), aborted };
    } finally {
      guard.settle();
    }
  }
}

/**
 * Kills the process groups of running children when the signal aborts. execa's own
 * cancelSignal reaches only the direct child; rsync's forked receiver (or ssh) would keep
 * stdout open and the promise would settle only when they exit on their own (TOOLCHAIN 15).
 */
class GroupGuard {
  #fired = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => {
    this.#fired = true;
    signalGroups(this.pids, 'SIGTERM');
    this.#timer = setTimeout(() => signalGroups(this.pids, 'SIGKILL'), this.graceMs);
  };

  constructor(
    private readonly pids: readonly number[],
    private readonly signal: AbortSignal | undefined,
    private readonly graceMs: number,
  ) {
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get fired(): boolean {
    return this.#fired;
  }

  /** The children have exited. After an abort, stragglers that ignored SIGTERM get SIGKILL now. */
  settle(): void {
    this.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#fired) signalGroups(this.pids, 'SIGKILL');
  }
}

function signalGroups(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, sig); // negative pid: the whole group (detached made pid its leader)
    } catch (e) {
      if (!hasErrno(e, 'ESRCH')) throw e; // ESRCH: the group is already gone
    }
  }
}

function definedPids(pids: readonly (number | undefined)[]): number[] {
  return pids.filter((p): p is number => p !== undefined);
}

function toOutcome(cmd: Command, r: ExecaOutcome, aborted: boolean): SpawnOutcome {
  const startError = r.failed && r.exitCode === undefined && r.signal === undefined ? startMessage(r) : undefined;
  return {
    argv: [cmd.file, ...cmd.args],
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    durationMs: r.durationMs,
    aborted,
    startError,
  };
}

function startMessage(r: ExecaOutcome): string {
  return r.originalMessage ?? r.code ?? 'could not start';
}

function notStarted(cmd: Command, why: string, aborted: boolean): SpawnOutcome {
  return {
    argv: [cmd.file, ...cmd.args],
    exitCode: undefined,
    signal: undefined,
    stdout: '',
    stderr: '',
    durationMs: 0,
    aborted,
    startError: why,
  };
}

/** Streams names to `--files-from=- --from0` / `tar --null -T -`: NUL-terminated, so any name works. */
export function* nulTerminated(names: Iterable<string | Buffer>): Generator<string | Buffer> {
  for (const name of names) yield typeof name === 'string' ? name + '\0' : Buffer.concat([name, NUL]);
}

const NUL = Buffer.of(0);
