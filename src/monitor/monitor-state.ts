// Monitor state: what monitor.json says about a session, and the one definition of Faulty behind
// it. Invariants: the worker is Faulty once it has exited `faultyAfterExits` times in a row
// without completing a turn (the monitor keeps restarting it), and Active again at its next
// completed turn; a child that exits for good makes the session Faulty and stopped. georep
// status reads this file through readMonitorState() and shows what it says.

import fs from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ChildMessage } from './child-message.js';
import { describeExit, readExitCause } from './exit-cause.js';
import type { ChildExit } from './supervisor.js';

export const MONITOR_STATES = ['Initializing', 'Active', 'Faulty', 'Stopped'] as const;
export type MonitorStateName = (typeof MONITOR_STATES)[number];

export interface LastExit {
  readonly name: string;
  readonly code: number | null;
  readonly signal: string | null;
  readonly restartInMs: number | null;
  /** The child's own error message, else how it ended (exit-cause.ts). */
  readonly cause: string;
}

/** The content of monitor.json. */
export interface MonitorState {
  readonly pid: number;
  readonly state: MonitorStateName;
  readonly children: Readonly<Record<string, number>>;
  readonly lastExit?: LastExit;
  /** Faulty: why (the worker's last error, or why the session stopped for good); absent otherwise. */
  readonly cause?: string;
  /** Worker exits in a row without a completed turn (restarts since the worker last made progress). */
  readonly restarts: number;
  /** Recorder exits in a row before it was recording (absent: none since it last was). */
  readonly recorderRestarts?: number;
  readonly updatedMs: number;
}

export interface MonitorStateConfig {
  /** Exits in a row without a completed turn that make the worker Faulty (faulty-after-exits). */
  readonly faultyAfterExits: number;
  /** The child whose turns are counted ('worker'). */
  readonly worker: string;
  /**
   * The child whose start is counted ('recorder'): one that exits `faultyAfterExits` times in
   * a row before it records makes the session Faulty too. Without it a recorder in a restart
   * loop (a master it cannot watch) left status Active and the checkpoints "not reached" with
   * no word why (one-shot probe). Others only restart.
   */
  readonly recorder?: string;
}

export interface MonitorStateDeps {
  /** monitor.json */
  readonly file: string;
  /** Where children leave their exit causes (exit-cause.ts). */
  readonly sessionDir: string;
  readonly clock: Pick<Clock, 'nowMs'>;
  readonly log: Logger;
  readonly pid: number;
}

/**
 * Turns the supervisor's events into monitor.json and `worker_status` log events. gsyncd marks a
 * worker Faulty as soon as it dies and restarts it every 10 s regardless; we wait for
 * `faultyAfterExits` exits in a row, so one crash (a killed agent, an OOM) that the next run
 * gets past is not reported as a fault, and a worker that keeps dying before its first turn is.
 */
const RECORDER_FAULT = 'the recorder (it watches the master) exited ';

export class MonitorStatus {
  private current: MonitorState;

  constructor(
    private readonly cfg: MonitorStateConfig,
    private readonly deps: MonitorStateDeps,
  ) {
    if (!Number.isSafeInteger(cfg.faultyAfterExits) || cfg.faultyAfterExits < 1) {
      throw new RangeError(`faultyAfterExits expects an integer >= 1, got ${cfg.faultyAfterExits}`);
    }
    this.current = { pid: deps.pid, state: 'Initializing', children: {}, restarts: 0, updatedMs: deps.clock.nowMs() };
  }

  get state(): MonitorState {
    return this.current;
  }

  /** Writes the initial state (Initializing). */
  begin(): void {
    this.save({});
  }

  started(name: string, pid: number): void {
    const children = { ...this.current.children, [name]: pid };
    if (this.current.state === 'Initializing') {
      this.deps.log.info('session active', { event: 'worker_status', status: 'Active' });
      this.save({ state: 'Active', children });
    } else this.save({ children });
  }

  /** `restartInMs` undefined: not restarted (stopping, or a permanent exit reported by stoppedForGood). */
  exited(exit: ChildExit, restartInMs: number | undefined): void {
    const children = Object.fromEntries(Object.entries(this.current.children).filter(([n]) => n !== exit.name));
    const cause = describeExit(exit, readExitCause(this.deps.sessionDir, exit));
    const lastExit: LastExit = {
      name: exit.name,
      code: exit.code,
      signal: exit.signal,
      restartInMs: restartInMs ?? null,
      cause,
    };
    if (exit.name === this.cfg.recorder && restartInMs !== undefined) {
      this.recorderExited(children, lastExit, cause);
      return;
    }
    if (exit.name !== this.cfg.worker || restartInMs === undefined) {
      this.save({ children, lastExit });
      return;
    }
    const restarts = this.current.restarts + 1;
    if (restarts < this.cfg.faultyAfterExits) {
      this.save({ children, lastExit, restarts });
      return;
    }
    if (this.current.state !== 'Faulty') {
      this.deps.log.error(`worker is Faulty: it exited ${restarts} times in a row without completing a turn`, {
        event: 'worker_status',
        status: 'Faulty',
        cause,
        restarts,
      });
    }
    this.save({ state: 'Faulty', children, lastExit, cause, restarts });
  }

  message(name: string, msg: ChildMessage): void {
    if (name === this.cfg.recorder && msg.kind === 'recording') {
      this.recorderRecording();
      return;
    }
    if (name !== this.cfg.worker) return;
    switch (msg.kind) {
      case 'turn':
        this.turnCompleted();
        return;
      case 'unreachable':
        this.waitsForSlave(msg.cause);
        return;
      case 'recording':
        return;
      default:
        assertNever(msg);
    }
  }

  private recorderExited(children: MonitorState['children'], lastExit: LastExit, cause: string): void {
    const recorderRestarts = (this.current.recorderRestarts ?? 0) + 1;
    if (recorderRestarts < this.cfg.faultyAfterExits) {
      this.save({ children, lastExit, recorderRestarts });
      return;
    }
    const why = `${RECORDER_FAULT}${recorderRestarts} times in a row before it recorded: ${cause}`;
    if (this.current.state !== 'Faulty' || !this.recorderFaulty()) {
      this.deps.log.error(`session is Faulty: ${why}`, { event: 'worker_status', status: 'Faulty', cause: why });
    }
    this.save({ state: 'Faulty', children, lastExit, cause: why, recorderRestarts });
  }

  /** The recorder records: its restarts no longer count, and a fault that was its own ends. */
  private recorderRecording(): void {
    if (this.current.recorderRestarts === undefined) return;
    const workerFaulty = this.current.restarts >= this.cfg.faultyAfterExits;
    const wasDown = this.recorderFaulty() || this.current.recorderRestarts >= this.cfg.faultyAfterExits;
    if (this.current.state === 'Faulty' && wasDown && !workerFaulty) {
      this.deps.log.info('the recorder records again; session active', { event: 'worker_status', status: 'Active' });
      this.save({ state: 'Active', cause: undefined, recorderRestarts: undefined });
    } else this.save({ recorderRestarts: undefined });
  }

  private recorderFaulty(): boolean {
    return this.current.cause?.startsWith(RECORDER_FAULT) === true;
  }

  /** A child exited with a permanent code: the session stops, Faulty with `cause`. */
  stoppedForGood(cause: string): void {
    this.deps.log.error(cause, { event: 'worker_status', status: 'Faulty' });
    this.save({ state: 'Faulty', cause });
  }

  stopped(): void {
    this.save({ state: 'Stopped' });
  }

  /** Faulty at once: the worker does not exit while the slave host is away, so no exits count up. */
  private waitsForSlave(cause: string): void {
    if (this.current.state === 'Faulty' && this.current.cause === cause) return;
    this.deps.log.error(`worker is Faulty: ${cause}`, { event: 'worker_status', status: 'Faulty', cause });
    this.save({ state: 'Faulty', cause });
  }

  private turnCompleted(): void {
    // A worker's turn says nothing of the recorder: its fault stands until it records.
    const recorderDown = (this.current.recorderRestarts ?? 0) >= this.cfg.faultyAfterExits;
    if (this.current.state === 'Faulty' && (this.recorderFaulty() || recorderDown)) {
      if (this.current.restarts !== 0) this.save({ restarts: 0 });
      return;
    }
    if (this.current.state === 'Faulty') {
      this.deps.log.info('worker completed a turn; session active', {
        event: 'worker_status',
        status: 'Active',
        restarts: this.current.restarts,
      });
      this.save({ state: 'Active', cause: undefined, restarts: 0 });
    } else if (this.current.restarts !== 0) this.save({ restarts: 0 });
  }

  private save(patch: Partial<MonitorState>): void {
    this.current = { ...this.current, ...patch, updatedMs: this.deps.clock.nowMs() };
    writeFileAtomic(this.deps.file, JSON.stringify(this.current, null, 2) + '\n');
  }
}

/** monitor.json as far as it is well-formed, or undefined when absent or unreadable. */
export function readMonitorState(file: string): MonitorState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // no daemon ever ran here, or a file from before this format
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<Record<keyof MonitorState, unknown>>;
  const state = MONITOR_STATES.find((s) => s === r.state);
  if (typeof r.pid !== 'number' || state === undefined) return undefined;
  const children: Record<string, number> = {};
  if (typeof r.children === 'object' && r.children !== null) {
    for (const [k, pid] of Object.entries(r.children)) if (typeof pid === 'number') children[k] = pid;
  }
  return {
    pid: r.pid,
    state,
    children,
    ...(typeof r.cause === 'string' ? { cause: r.cause } : {}),
    restarts: typeof r.restarts === 'number' ? r.restarts : 0,
    ...(typeof r.recorderRestarts === 'number' ? { recorderRestarts: r.recorderRestarts } : {}),
    updatedMs: typeof r.updatedMs === 'number' ? r.updatedMs : 0,
  };
}

function assertNever(x: never): never {
  throw new Error(`unexpected child message ${String(x)}`);
}
