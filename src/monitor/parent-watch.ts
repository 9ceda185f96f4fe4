// Parent watch: the child side of the supervisor's IPC channel, or a watch of bin/georep.
// Invariant: a supervised child learns that its parent is gone (even by SIGKILL, which runs no
// cleanup) and stops.

import fs from 'node:fs';

/**
 * The environment variable in which bin/georep, a shell script that cannot open an IPC channel,
 * gives its own pid to the sync it starts (see watchLauncher).
 */
export const PARENT_PID_ENV = 'GEOREP_PARENT_PID';

/** How often a process started by bin/georep looks whether the launcher still runs, ms. */
const LAUNCHER_POLL_MS = 500;

/**
 * Calls `onGone` once when the process that spawned us goes away; returns a function that
 * stops watching.
 *
 * Why an IPC channel: nothing in POSIX stops a child when its parent dies (Linux's
 * PR_SET_PDEATHSIG is out of Node's reach), and the Supervisor starts each child `detached`
 * (its own process group, so stopping it also reaches its rsync/ssh), so not even a terminal's
 * Ctrl-C reaches it. A monitor killed with SIGKILL cannot signal anyone, but the kernel closes
 * its end of the channel, and Node turns that into `disconnect` here. Polling getppid() would
 * be the alternative; the channel needs no timer and fires at once.
 *
 * The channel is unref'd: watching must not keep a child alive that has finished its work.
 * A process started without an IPC channel watches the launcher instead, if one started it, and
 * else has no parent to watch: the call does nothing. One whose channel is already
 * closed calls `onGone` on the next tick.
 */
export function exitWhenParentGone(onGone: () => void): () => void {
  if (process.send === undefined) return watchLauncher(onGone) ?? (() => undefined);
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    process.removeListener('disconnect', fire);
    onGone();
  };
  // Adding a 'disconnect' listener re-refs the channel inside Node, so unref after it.
  process.on('disconnect', fire);
  process.channel?.unref();
  if (!process.connected) process.nextTick(fire);
  return () => {
    fired = true;
    process.removeListener('disconnect', fire);
  };
}

/**
 * The launcher's form of the channel: bin/georep names itself in PARENT_PID_ENV, and this
 * process looks every LAUNCHER_POLL_MS whether the launcher still runs. A shell has no IPC
 * channel, and a pipe from it would need a FIFO in a writable temp folder; the poll needs
 * nothing. The launcher is gone when it is no longer this process's parent (a dead parent's
 * children go to init or a subreaper) and it no longer runs (or is a zombie): also when it died
 * before this call, which may come a while after this process started. Undefined when the
 * variable is unset or not a pid. The variable is taken out of this process's environment, so
 * that the processes it starts do not take it for theirs.
 */
function watchLauncher(onGone: () => void): (() => void) | undefined {
  const raw = process.env[PARENT_PID_ENV];
  if (raw === undefined) return undefined;
  delete process.env[PARENT_PID_ENV];
  const launcher = Number(raw);
  if (!Number.isSafeInteger(launcher) || launcher <= 1) return undefined;
  const gone = (): boolean => process.ppid !== launcher && !runs(launcher);
  const look = (): void => {
    if (!gone()) return;
    clearInterval(timer);
    onGone();
  };
  const timer = setInterval(look, LAUNCHER_POLL_MS);
  timer.unref();
  process.nextTick(look); // a launcher killed before this call
  return () => clearInterval(timer);
}

/** Whether process `pid` exists and is not a zombie (its state in /proc, where there is one). */
function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // gone; EPERM: another user's process on a pid reused since, not the launcher
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}
