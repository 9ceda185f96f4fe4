// The /proc readers the benchmarks share: the pids alive now, a process and its descendants by
// their ppid links, one file of /proc/<pid>/, a numeric field of /proc/<pid>/status, and a
// process's argv. bench/proc-rss.ts (the one-shot RSS of a whole process tree) and
// bench/live/proc-sample.ts (the live daemon's CPU, RSS and inotify watches) both walk process
// trees; this is the one copy of that walk. Every reader treats a process that vanished
// between the listing and the read as gone, never as an error.

import * as fs from 'node:fs';

/** The numeric entries of /proc: the pids alive at the listing, in the order /proc lists them. */
export function procPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** `root` and all its descendants among `procs` (by their ppid), root first, breadth first. */
export function descendants<T extends { readonly pid: number; readonly ppid: number }>(
  root: number,
  procs: readonly T[],
): T[] {
  const kids = new Map<number, T[]>();
  for (const p of procs) {
    const list = kids.get(p.ppid) ?? [];
    list.push(p);
    kids.set(p.ppid, list);
  }
  const self = procs.find((p) => p.pid === root);
  if (self === undefined) return [];
  const out: T[] = [];
  const queue = [self];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    out.push(p);
    queue.push(...(kids.get(p.pid) ?? []));
  }
  return out;
}

/** The text of /proc/<pid>/<file> (stat, status, smaps_rollup …); undefined when it is gone. */
export function procText(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A numeric field of /proc/<pid>/status text (`VmHWM:  1234 kB` → 1234, in kB); undefined when absent. */
export function statusNumber(statusText: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(statusText);
  return m === null ? undefined : Number(m[1]);
}

/** A process's argv from /proc/<pid>/cmdline (with the empty string after the last NUL); undefined when gone. */
export function argvOf(pid: number): string[] | undefined {
  return procText(pid, 'cmdline')?.split('\0');
}
