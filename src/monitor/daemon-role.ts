// The monitor's children: the recorder watches the master, the worker applies to the slave.
// Invariant: the monitor starts exactly these, each as its own process (`georep __ROLE`).

export const DAEMON_ROLES = ['recorder', 'worker'] as const;
export type DaemonRole = (typeof DAEMON_ROLES)[number];
