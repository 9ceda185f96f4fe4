// Parent watch: the child side of the supervisor's IPC channel. Invariant: a supervised child
// learns that its monitor is gone (even by SIGKILL, which runs no cleanup) and stops.

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
 * A process started without an IPC channel has no parent to watch, and the call does nothing;
 * one whose channel is already closed calls `onGone` on the next tick.
 */
export function exitWhenParentGone(onGone: () => void): () => void {
  if (process.send === undefined) return () => undefined;
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
