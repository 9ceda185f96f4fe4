// Process probes for abort tests: which live processes mention a path in their argv (via
// /proc, Linux), and a promise for the first entry a transfer creates in a directory.

import fs from 'node:fs';
import { hasErrno } from '../../../src/errors.js';

/** PIDs of live processes whose command line contains `needle`. */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ESRCH')) continue; // exited meanwhile
      throw e;
    }
    if (cmdline.includes(needle) && Number(name) !== process.pid) pids.push(Number(name));
  }
  return pids;
}

/** Resolves when something is created in `dir` (fs.watch: no polling, no sleep). */
export function firstEntryIn(dir: string): { readonly created: Promise<string>; close(): void } {
  let watcher: fs.FSWatcher | undefined;
  const created = new Promise<string>((resolve) => {
    watcher = fs.watch(dir, (_event, name) => {
      if (name !== null) resolve(name.toString());
    });
  });
  return { created, close: () => watcher?.close() };
}

/** Resolves once `dir/name` exists (checked right after the watch starts, then on each event). */
export async function entryNamed(dir: string, name: string): Promise<void> {
  let watcher: fs.FSWatcher | undefined;
  try {
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (fs.existsSync(`${dir}/${name}`)) resolve();
      };
      watcher = fs.watch(dir, check);
      check();
    });
  } finally {
    watcher?.close();
  }
}
