// The session's state line for systemd: while the session daemon runs as a service (systemd
// set NOTIFY_SOCKET), the monitor sends `georep status`'s view of its session as one line,
// which `systemctl status georep@NAME` shows as "Status:". Invariant: only a changed line is
// sent, and a failure to send never touches the session (it is logged once, then given up).

import { execFile } from 'node:child_process';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { SessionStatus } from '../master/session-status.js';
import { sessionStatus } from './cmd-status.js';

/** How often the line is looked at: about the change-interval's scale, cheap (files and one socket query). */
const STATUS_POLL_MS = 5000;
/** systemd-notify waits for systemd to have read the message; never longer than this. */
const NOTIFY_TIMEOUT_MS = 10_000;

/** `Active, Changelog Crawl, last synced 2026-…, 2 failures, drift 1 at the audit of …, checkpoint … completed` — one line. */
export function statusLine(s: SessionStatus): string {
  const parts: string[] = [s.worker_status];
  if (s.crawl_status !== null) parts.push(s.crawl_status);
  parts.push(`last synced ${s.last_synced ?? 'never'}`);
  if (s.backlog_changelogs > 0) parts.push(`backlog ${s.backlog_changelogs} changelogs`);
  if (s.failures > 0) parts.push(`${s.failures} failures (georep failures)`);
  if (s.drift !== null && s.drift > 0) parts.push(`drift ${s.drift} at the audit of ${s.audit_time ?? '?'}`);
  if (s.checkpoint_time !== null) {
    parts.push(`checkpoint ${s.checkpoint_time} ${s.checkpoint_completed ? 'completed' : 'not reached yet'}`);
  }
  if (s.fault !== null) parts.push(`Faulty: ${s.fault}`);
  return parts.join(', ').replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** Sends one status line to systemd. */
export type Notify = (line: string) => Promise<void>;

/**
 * systemd-notify --status=LINE. Node has no AF_UNIX datagram socket for sd_notify(3) itself;
 * systemd-notify (shipped with systemd) sends the message and, unlike a raw send from a
 * short-lived process, waits until systemd has read it, so it is attributed to this unit
 * (NotifyAccess=all in georep@.service).
 */
export function systemdNotify(command: readonly string[] = ['systemd-notify']): Notify {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('empty systemd-notify command');
  return (line) =>
    new Promise((resolve, reject) => {
      execFile(file, [...args, `--status=${line}`], { timeout: NOTIFY_TIMEOUT_MS }, (e) => (e ? reject(e) : resolve()));
    });
}

export interface StatusReporterDeps {
  readonly clock: Clock;
  readonly notify: Notify;
  readonly log: Logger;
  /** The session's status now (cmd-status's sessionStatus by default). */
  readonly read?: (sessionDir: string, nowMs: number) => Promise<SessionStatus | undefined>;
}

export class SystemdStatusReporter {
  private last: string | undefined;
  private broken = false;

  constructor(
    private readonly sessionDir: string,
    private readonly deps: StatusReporterDeps,
  ) {}

  /** One look: sends the line when it changed; returns what was sent, if anything. */
  async tick(): Promise<string | undefined> {
    if (this.broken) return undefined;
    const read = this.deps.read ?? sessionStatus;
    const status = await read(this.sessionDir, this.deps.clock.nowMs());
    if (status === undefined) return undefined;
    const line = statusLine(status);
    if (line === this.last) return undefined;
    try {
      await this.deps.notify(line);
      this.last = line;
      return line;
    } catch (e) {
      this.broken = true; // no systemd-notify, or no systemd to read it: nothing to retry for
      this.deps.log.warn('cannot tell systemd the session status; systemctl status will not show it', {
        error: e instanceof Error ? e.message : String(e),
      });
      return undefined;
    }
  }

  /** Looks every few seconds until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (e) {
        // The status is read from files a running session rewrites: one bad read is not fatal.
        this.deps.log.debug('session status unreadable for systemd', {
          error: e instanceof Error ? e.message : String(e),
        });
      }
      await this.deps.clock.sleep(STATUS_POLL_MS, signal).catch(() => undefined);
    }
  }
}
