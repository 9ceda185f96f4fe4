// What the live bench reads from /proc about the session's processes: CPU ticks and state
// (/proc/<pid>/stat), a process and its descendants, command lines, VmHWM / VmRSS, and the
// inotify watches a process holds. Read from procfs rather than asked of georep, so a number
// about the daemon never comes from the daemon.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  /** utime + stime + cutime + cstime, in clock ticks (reaped children count in their parent). */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i - 3] ?? 0);
  return { pid, ppid: n(4), state: f[0] ?? '?', ticks: n(14) + n(15) + n(16) + n(17) };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** `root` and all its descendants (from the ppid links in /proc/<pid>/stat). */
export function processTree(root: number): ProcStat[] {
  const stats = allStats();
  const kids = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const list = kids.get(s.ppid) ?? [];
    list.push(s);
    kids.set(s.ppid, list);
  }
  const self = stats.find((s) => s.pid === root);
  if (self === undefined) return [];
  const out: ProcStat[] = [];
  const queue = [self];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    out.push(s);
    queue.push(...(kids.get(s.pid) ?? []));
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** A /proc/<pid>/status field in kB (VmHWM, VmRSS); undefined when the process is gone. */
export function statusKb(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
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
