// What the live bench reads from /proc about the session's processes: CPU ticks and state
// (/proc/<pid>/stat), a process and its descendants, command lines, VmHWM / VmRSS, and the
// inotify watches a process holds. Read from procfs rather than asked of georep, so a number
// about the daemon never comes from the daemon. The generic readers (pids, the tree walk,
// status fields, argv) are bench/procfs.ts's, shared with bench/proc-rss.ts.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { argvOf, descendants, procPids, procText, statusNumber } from '../procfs.js';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  /** utime + stime + cutime + cstime, in clock ticks (reaped children count in their parent). */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  const text = procText(pid, 'stat');
  if (text === undefined) return undefined;
  // Fields after the command name (which may hold spaces and parentheses): state is field 3.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i - 3] ?? 0);
  return { pid, ppid: n(4), state: f[0] ?? '?', ticks: n(14) + n(15) + n(16) + n(17) };
}

/** `root` and all its descendants (from the ppid links in /proc/<pid>/stat). */
export function processTree(root: number): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const pid of procPids()) {
    const s = readStat(pid);
    if (s !== undefined) stats.push(s);
  }
  return descendants(root, stats);
}

export function cmdline(pid: number): string {
  return (argvOf(pid) ?? []).join(' ').trim();
}

/** A /proc/<pid>/status field in kB (VmHWM, VmRSS); undefined when the process is gone. */
export function statusKb(pid: number, field: string): number | undefined {
  const text = procText(pid, 'status');
  return text === undefined ? undefined : statusNumber(text, field);
}

/** inotify watches held by a process: `inotify wd:` lines over its fdinfo files. */
export function inotifyWatches(pid: number): number {
  let n = 0;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return 0;
  }
  for (const fd of fds) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      for (const line of text.split('\n')) if (line.startsWith('inotify wd:')) n++;
    } catch {
      // the fd closed meanwhile
    }
  }
  return n;
}

export function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}
