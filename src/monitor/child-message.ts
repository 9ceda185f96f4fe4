// Child messages: what a supervised child tells its monitor over the IPC channel on fd 3 (the
// one parent-watch.ts watches). Invariant: the monitor acts only on messages that pass
// parseChildMessage; anything else is dropped, so a child cannot make the monitor throw.

/**
 * `turn`: the worker completed a turn (a live changelog turn, or a whole hybrid crawl). It is
 * the monitor's only evidence that the worker makes progress: a restarted worker that never
 * sends it counts towards Faulty (monitor-state.ts).
 */
export type ChildMessage = { readonly kind: 'turn' } | { readonly kind: 'recording' } | UnreachableMessage;
// `recording`: the recorder has started (watches set, its start-up scan done): a restarted
// recorder that never sends it counts towards Faulty (monitor-state.ts).

/**
 * `unreachable`: the worker waits for a remote slave host that does not answer (it probes it,
 * slave/reach-probe.ts) instead of exiting: it is Faulty for `cause` until its next turn.
 */
export interface UnreachableMessage {
  readonly kind: 'unreachable';
  readonly cause: string;
}

/** The longest cause kept (a line for status, not a log). */
export const MAX_CAUSE_CHARS = 1000;

/** The message, or undefined when `v` is not one (a child's message crossed a process boundary). */
export function parseChildMessage(v: unknown): ChildMessage | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !('kind' in v)) return undefined;
  const keys = Object.keys(v).sort().join(',');
  if (v.kind === 'turn' && keys === 'kind') return { kind: 'turn' };
  if (v.kind === 'recording' && keys === 'kind') return { kind: 'recording' };
  if (v.kind === 'unreachable' && keys === 'cause,kind' && 'cause' in v && typeof v.cause === 'string')
    return { kind: 'unreachable', cause: v.cause.slice(0, MAX_CAUSE_CHARS) };
  return undefined;
}

/**
 * Sends `msg` to the monitor, if this process has one. Never throws: a closed channel means the
 * monitor is gone, and exitWhenParentGone() is already stopping us (the callback swallows the
 * ERR_IPC_CHANNEL_CLOSED Node would otherwise raise as an 'error' event on process).
 */
export function sendToMonitor(msg: ChildMessage): void {
  if (process.send === undefined || !process.connected) return;
  process.send(msg, undefined, {}, () => undefined);
}
