// Parent watch: the child side of the supervisor's IPC channel, or of the launcher's pipe.
// Invariant: a supervised child learns that its parent is gone (even by SIGKILL, which runs no
// cleanup) and stops.

import net from 'node:net';

/**
 * The environment variable in which bin/georep, a shell script that cannot open an IPC channel,
 * names the descriptor of the pipe it holds the only write end of (see watchParentPipe).
 */
export const PARENT_FD_ENV = 'GEOREP_PARENT_FD';

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
 * A process started without an IPC channel watches the launcher's pipe instead, if it was given
 * one, and else has no parent to watch: the call does nothing. One whose channel is already
 * closed calls `onGone` on the next tick.
 */
export function exitWhenParentGone(onGone: () => void): () => void {
  if (process.send === undefined) return watchParentPipe(onGone) ?? (() => undefined);
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
 * The launcher's form of the channel: a pipe whose write end only the launcher holds, given as
 * the descriptor PARENT_FD_ENV names. When the launcher dies, even by SIGKILL, the kernel closes
 * that end and the read end sees its end. Undefined when there is no such pipe (the variable is
 * unset or names no open pipe). The variable is taken out of this process's environment: the
 * processes it starts get no such descriptor.
 */
function watchParentPipe(onGone: () => void): (() => void) | undefined {
  const raw = process.env[PARENT_FD_ENV];
  if (raw === undefined) return undefined;
  delete process.env[PARENT_FD_ENV];
  const fd = Number(raw);
  if (!Number.isSafeInteger(fd) || fd < 3) return undefined;
  let pipe: net.Socket;
  try {
    pipe = new net.Socket({ fd, readable: true, writable: false });
  } catch {
    return undefined; // not an open pipe: nothing to watch, as without a parent
  }
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    onGone();
  };
  pipe.on('end', fire);
  pipe.on('error', () => undefined); // nothing is written to it; a read error is not the parent's death
  pipe.resume();
  pipe.unref();
  return () => {
    fired = true;
    pipe.destroy();
  };
}
