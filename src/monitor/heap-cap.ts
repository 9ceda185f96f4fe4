// Heap cap: the monitor starts its children (recorder, worker) with V8's heap bounded by
// daemon-heap, because a session that runs for months must not grow until the host swaps.
// Invariant: our flags come right after the executable and replace any earlier cap of ours.

/**
 * V8's young generation per semi-space, MiB, for daemon processes. The default (16) keeps up
 * to ~48 MiB of short-lived objects resident; at 2 a 200k-entry reconcile peaked ~50 MB lower
 * for ~15 % more CPU, and a running session's work is small.
 */
export const DAEMON_SEMI_SPACE_MIB = 2;

/**
 * daemon-heap's default (conf/georep.conf; a test keeps the two equal), for the one place that
 * must decide before the configuration is read: the CLI's entry, which reruns a one-shot sync
 * under the cap before loading the CLI's modules (cli/heap-cap-rerun.ts).
 */
export const DAEMON_HEAP_DEFAULT_MIB = 128;

/** The self command with V8's heap capped (flags after the executable, before any other). */
export function withHeapCap(self: readonly string[], mib: number): string[] {
  const [exe, ...rest] = self;
  if (exe === undefined) throw new Error('self command is empty');
  const ours = /^--max-(old|semi)-space-size=/;
  return [
    exe,
    `--max-old-space-size=${mib}`,
    `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`,
    ...rest.filter((a) => !ours.test(a)),
  ];
}
