// Drives one georep session for the live bench: `georep start` / `stop` / `resync` through the
// compiled CLI, its status.json and georep.log, and its process tree tagged by role. Every pid it
// ever kills is one the session's own monitor.pid / monitor.json names and whose command line
// names this session's workdir, so a cleanup never touches another user's (or helper's) georep.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, runGeorep } from '../../test/support/cli.js';
import { fail } from './failure.js';
import { alive, cmdline, processTree } from './proc-sample.js';
import type { ProcStat } from './proc-sample.js';

/** The compiled CLI the sessions run (npm run bench:live builds it first). */
export const GEOREP_MAIN = path.join(repoRoot, 'dist', 'cli', 'main.js');

export type Role = 'monitor' | 'recorder' | 'worker' | 'agent' | 'other';
export const ROLES: readonly Role[] = ['monitor', 'recorder', 'worker', 'agent', 'other'];

interface StatusFile {
  readonly crawlStatus?: string;
  readonly filesPending?: number;
  readonly bytesPending?: number;
  readonly deletesPending?: number;
  readonly failures?: readonly unknown[];
  readonly updatedMs?: number;
}

/** One georep session (master, slave, workdir) started by this benchmark. */
export class Session {
  /** Every session this run started: stopped (and, failing that, killed) at the end. */
  static readonly all: Session[] = [];

  constructor(
    readonly master: string,
    readonly slave: string,
    readonly work: string,
  ) {
    Session.all.push(this);
  }

  private args(cmd: 'start' | 'stop'): string[] {
    return [cmd, this.master, this.slave, '--workdir', this.work];
  }

  dir(): string | undefined {
    try {
      const [name] = fs.readdirSync(path.join(this.work, 'sessions'));
      return name === undefined ? undefined : path.join(this.work, 'sessions', name);
    } catch {
      return undefined;
    }
  }

  /** The pids this session's monitor wrote (monitor.pid, monitor.json); only these are ever killed. */
  pids(): { monitor?: number; recorder?: number; worker?: number } {
    const dir = this.dir();
    if (dir === undefined) return {};
    const out: { monitor?: number; recorder?: number; worker?: number } = {};
    try {
      out.monitor = Number(fs.readFileSync(path.join(dir, 'monitor.pid'), 'utf8').trim());
    } catch {
      // not written yet
    }
    try {
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
        children?: Record<string, number>;
      };
      if (state.children?.['recorder'] !== undefined) out.recorder = state.children['recorder'];
      if (state.children?.['worker'] !== undefined) out.worker = state.children['worker'];
    } catch {
      // not written yet
    }
    return out;
  }

  running(): boolean {
    const m = this.pids().monitor;
    return m !== undefined && alive(m);
  }

  status(): StatusFile | undefined {
    const dir = this.dir();
    if (dir === undefined) return undefined;
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as StatusFile;
    } catch {
      return undefined;
    }
  }

  logTail(lines = 30): string {
    const dir = this.dir();
    if (dir === undefined) return '(no session folder)';
    try {
      return fs.readFileSync(path.join(dir, 'georep.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no georep.log)';
    }
  }

  /** georep.log's WARN and ERROR lines (the last `max`). */
  logProblems(max = 20): string[] {
    const dir = this.dir();
    if (dir === undefined) return [];
    try {
      return fs
        .readFileSync(path.join(dir, 'georep.log'), 'utf8')
        .split('\n')
        .filter((l) => / (WARN|ERROR) /.test(l))
        .slice(-max)
        .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
    } catch {
      return [];
    }
  }

  /** The monitor and every descendant, each with its role. */
  tree(): (ProcStat & { role: Role; cmd: string })[] {
    const p = this.pids();
    if (p.monitor === undefined) return [];
    return processTree(p.monitor).map((s) => {
      const cmd = cmdline(s.pid);
      const role: Role =
        s.pid === p.monitor
          ? 'monitor'
          : s.pid === p.recorder
            ? 'recorder'
            : s.pid === p.worker
              ? 'worker'
              : cmd.includes('agent-main.js')
                ? 'agent'
                : 'other';
      return { ...s, role, cmd };
    });
  }

  async start(): Promise<void> {
    const r = await runGeorep(this.args('start'), { useDist: true, timeoutMs: 60_000 });
    if (r.exitCode !== 0) fail(`georep ${this.args('start').join(' ')} exited ${r.exitCode ?? r.signal}:\n${r.stderr}`);
  }

  async stop(): Promise<void> {
    const before = this.pids();
    const r = await runGeorep(this.args('stop'), { useDist: true, timeoutMs: 120_000 });
    if (r.exitCode !== 0) fail(`georep ${this.args('stop').join(' ')} exited ${r.exitCode ?? r.signal}:\n${r.stderr}`);
    const survivors = [before.monitor, before.recorder, before.worker].filter(
      (pid): pid is number => pid !== undefined && alive(pid),
    );
    if (survivors.length > 0) fail(`pids ${survivors.join(', ')} survived georep stop`);
  }

  /** `georep resync` of one path (relative to the master, argv-safe; '.' is the root). */
  async resync(rel: string): Promise<void> {
    const target = rel === '.' ? this.master : path.join(this.master, rel);
    const r = await runGeorep(['resync', this.master, this.slave, target, '--workdir', this.work], {
      useDist: true,
      timeoutMs: 60_000,
    });
    if (r.exitCode !== 0) fail(`georep resync ${JSON.stringify(rel)} exited ${r.exitCode ?? r.signal}:\n${r.stderr}`);
  }

  /** Best effort at the end of the run: `georep stop`, then SIGKILL what this session's files name. */
  cleanupSync(): void {
    try {
      if (this.running())
        execFileSync(process.execPath, [GEOREP_MAIN, ...this.args('stop')], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // reported below if anything survived
    }
    const p = this.pids();
    for (const pid of [p.monitor, p.recorder, p.worker]) {
      // Only our own processes: the command line names this session's workdir.
      if (pid !== undefined && alive(pid) && cmdline(pid).includes(this.work)) {
        console.error(`cleanup: killing leftover georep process ${pid}`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}
