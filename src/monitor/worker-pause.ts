// The pause protocol (georep pause / resume): the worker is stopped where it is with SIGSTOP to
// its process group, as gsyncd does, while the recorder keeps recording so nothing is missed.
// It lives beside the monitor because it relies on the monitor's facts: the worker's pid in
// monitor.json, and that the supervisor starts each child as the leader of its own group.
// Invariant: the `paused` marker exists exactly while a pause is in force and names the pid that
// was stopped, so resume (and georep stop) continue that process and no other.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { GeorepError } from '../errors.js';
import { DAEMON_FILES } from '../session-files.js';
import type { DaemonSession } from './daemon-session.js';
import { readMonitorState } from './monitor-state.js';
import { isAlive, readLivePid } from './pid-file.js';

type SessionNames = Pick<DaemonSession, 'sessionDir' | 'masterRoot' | 'slaveRoot'>;

/** The running worker's pid, from the monitor's state. */
function workerPid(s: SessionNames): number {
  if (readLivePid(path.join(s.sessionDir, DAEMON_FILES.pid)) === undefined) {
    throw new GeorepError('NOT_RUNNING', `no session daemon runs for ${s.masterRoot} -> ${s.slaveRoot}`);
  }
  const pid = readMonitorState(path.join(s.sessionDir, DAEMON_FILES.state))?.children['worker'];
  if (pid === undefined || !isAlive(pid)) {
    throw new GeorepError('NOT_RUNNING', 'the worker is not running right now (starting or restarting); try again');
  }
  return pid;
}

/** True while the session is paused (its marker exists). */
export function isPaused(sessionDir: string): boolean {
  return fs.existsSync(path.join(sessionDir, DAEMON_FILES.paused));
}

export function pauseWorker(s: SessionNames): void {
  const pid = workerPid(s);
  // The worker leads its process group (the supervisor starts it detached): rsync and the
  // slave agent stop with it.
  process.kill(-pid, 'SIGSTOP');
  writeFileAtomic(path.join(s.sessionDir, DAEMON_FILES.paused), `${pid}\n`);
}

export function resumeWorker(s: SessionNames): void {
  const marker = path.join(s.sessionDir, DAEMON_FILES.paused);
  let pid: number | undefined;
  try {
    pid = Number(fs.readFileSync(marker, 'utf8').trim());
  } catch {
    throw new GeorepError('USAGE', `the session ${s.masterRoot} -> ${s.slaveRoot} is not paused`);
  }
  if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) process.kill(-pid, 'SIGCONT');
  fs.rmSync(marker, { force: true });
}
