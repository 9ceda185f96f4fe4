// monitor/: the session daemon: the monitor process and its supervisor, the frame of its children,
// the start/stop/pause control from outside, and what they need around it (backoff, pid file, the
// child-side parent watch). Other directories import from here, never from the files behind it.

export { Backoff, DEFAULT_BACKOFF, validateBackoffConfig } from './backoff.js';
export type { BackoffConfig } from './backoff.js';
export { exitWhenParentGone } from './parent-watch.js';
export { isAlive, readLivePid, readPidFile, removePidFile, writePidFile } from './pid-file.js';
export { DEFAULT_STOP_TIMEOUT_MS, Supervisor } from './supervisor.js';
export type { ChildExit, ChildSpec, SupervisorEvents, SupervisorOptions, SupervisorResult } from './supervisor.js';
export { parseChildMessage, sendToMonitor } from './child-message.js';
export type { ChildMessage } from './child-message.js';
export { describeExit, exitCauseFile, readExitCause, writeExitCause } from './exit-cause.js';
export type { ExitCause } from './exit-cause.js';
export { MONITOR_STATES, MonitorStatus, readMonitorState } from './monitor-state.js';
export type { LastExit, MonitorState, MonitorStateName } from './monitor-state.js';
export { DAEMON_ROLES } from './daemon-role.js';
export type { DaemonRole } from './daemon-role.js';
export { PERMANENT_EXIT, runDaemonChild } from './child-process.js';
export { startDaemon, stopDaemon } from './daemon-control.js';
export { runMonitor } from './monitor-process.js';
export type { MonitorProcessOptions } from './monitor-process.js';
export { pauseWorker, resumeWorker } from './worker-pause.js';
