// A live georep session for e2e tests: a temp folder with master, slave and workdir, the CLI
// verbs a test needs (config, start, stop, status, checkpoint, failures), the session's files
// (log, checkpoint.json), and a cleanup that stops the daemon and then ends only this
// session's own leftover processes, by pid.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeRun, runGeorep } from './cli.js';

/** One item of `georep failures --json`. */
export interface LedgerEntry {
  readonly gfid: string;
  /** The entry's path now, or its gfid when the master no longer has it. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
  /** The earliest its change can have been made; null when unknown. */
  readonly change_time: string | null;
  readonly first_failure: string;
}

/** The fields of `georep status --json` these tests read. */
export interface StatusJson {
  readonly worker_status: string;
  readonly crawl_status: string | null;
  readonly last_synced: string | null;
  readonly failures: number;
  readonly retry_pending: number;
  readonly checkpoint_time: string | null;
  readonly checkpoint_completed: boolean;
  readonly checkpoint_completion_time: string | null;
  readonly fault: string | null;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie is not running
  } catch {
    return false;
  }
}

export class LiveSession {
  readonly tmp: string;
  readonly work: string;
  readonly master: string;
  readonly slave: string;

  constructor(prefix = 'georep-random-') {
    this.tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    this.work = path.join(this.tmp, 'work');
    this.master = path.join(this.tmp, 'master');
    this.slave = path.join(this.tmp, 'slave');
  }

  /** Runs `georep VERB MASTER SLAVE ...rest --workdir WORK`; throws unless it exits 0. */
  async geo(verb: readonly string[], rest: readonly string[] = []): Promise<string> {
    const args = [...verb, this.master, this.slave, ...rest, '--workdir', this.work];
    const r = await runGeorep(args, { timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(describeRun(args, r));
    return r.stdout;
  }

  async config(key: string, value: string): Promise<void> {
    await this.geo(['config'], [key, value]);
  }

  async start(): Promise<void> {
    await this.geo(['start']);
  }

  async stop(): Promise<void> {
    await this.geo(['stop']);
  }

  async status(): Promise<StatusJson> {
    return JSON.parse(await this.geo(['status'], ['--json'])) as StatusJson;
  }

  /** Sets the checkpoint to `now`; returns its target as unix ms. */
  async checkpointNow(): Promise<number> {
    const out = await this.geo(['checkpoint', 'set'], ['now']);
    const m = /checkpoint set to (\S+)/.exec(out);
    if (m === null) throw new Error(`unexpected output of checkpoint set: ${out}`);
    return Date.parse(m[1] as string);
  }

  async failures(): Promise<LedgerEntry[]> {
    return JSON.parse(await this.geo(['failures'], ['--json'])) as LedgerEntry[];
  }

  sessionDir(): string | undefined {
    try {
      const [name] = fs.readdirSync(path.join(this.work, 'sessions'));
      return name === undefined ? undefined : path.join(this.work, 'sessions', name);
    } catch {
      return undefined;
    }
  }

  logPath(): string {
    return path.join(this.sessionDir() ?? path.join(this.work, 'sessions', '?'), 'georep.log');
  }

  /** checkpoint.json as the worker last wrote it (target and completion, unix ms). */
  checkpointFile(): { targetMs: number; completedMs: number | null } | undefined {
    const dir = this.sessionDir();
    if (dir === undefined) return undefined;
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as {
        targetMs: number;
        completedMs: number | null;
      };
    } catch {
      return undefined;
    }
  }

  /** The monitor and its children as monitor.json names them. */
  pids(): number[] {
    const dir = this.sessionDir();
    if (dir === undefined) return [];
    const out: number[] = [];
    try {
      out.push(Number(fs.readFileSync(path.join(dir, 'monitor.pid'), 'utf8').trim()));
    } catch {
      // never started
    }
    try {
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
        children?: Record<string, number>;
      };
      out.push(...Object.values(state.children ?? {}));
    } catch {
      // not written
    }
    return out.filter((p) => Number.isInteger(p) && p > 0);
  }

  /** Stops the daemon if it runs, then kills whatever of this session survived; removes the
   * temp folder unless `keep`. Returns the pids that had to be killed. */
  async cleanup(keep: boolean): Promise<number[]> {
    const before = this.pids();
    if (before.some(alive)) {
      try {
        await this.stop();
      } catch {
        // reported below as survivors
      }
    }
    const killed = this.pids()
      .concat(before)
      .filter((p, i, all) => all.indexOf(p) === i && alive(p));
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    if (!keep) fs.rmSync(this.tmp, { recursive: true, force: true });
    return killed;
  }
}
