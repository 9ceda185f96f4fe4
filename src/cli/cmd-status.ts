// `georep status [MASTER SLAVE] [--detail] [--json]` and `georep checkpoint set|status`.
// Invariant: status never claims more than the daemon knows: a running worker answers over its
// socket, unless its monitor holds it Faulty (monitor-state.ts: the one definition of Faulty,
// which the worker cannot see); a stopped one is shown Stopped (or Faulty, with its cause)
// with its last values.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GeorepError } from '../errors.js';
import { checkpointTargetMs, readCheckpointState } from '../master/checkpoint.js';
import { buildStatus } from '../master/session-status.js';
import type { SessionStatus, WorkerStatus } from '../master/session-status.js';
import { queryStatus, statusSocketPath } from '../master/status-service.js';
import { readLivePid, readMonitorState } from '../monitor/index.js';
import type { MonitorState } from '../monitor/index.js';
import { WORKDIR_HELP } from './cmd-sync.js';
import type { CliContext } from './context.js';
import { humanBytes } from './format.js';
import { resolveMasterRoot, resolveSlaveRoot } from './roots.js';
import { readSessionValues, writeSessionValues } from './session-values.js';
import { ensureSessionDir, resolveWorkdir, sessionDirOf } from './workdir.js';
import { DAEMON_FILES, SESSIONS_DIR, SESSION_FILES } from '../session-files.js';

const MS_PER_S = 1000;

interface StatusFlags {
  readonly detail?: boolean;
  readonly json?: boolean;
  readonly workdir?: string;
}

const STATUS_EXAMPLES = `
Examples:
  $ georep status                                   # every session of the workdir
  $ georep status /srv/data /backup/data --detail   # one session, with pending work and checkpoint
  $ georep status --json                            # for scripts (gsyncd's field names)`;

export function addStatusCommands(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .summary('show the state of sessions (all, or MASTER and SLAVE)')
    .description('Show each session: worker status, crawl status and the time up to which the slave is in sync.')
    .argument('[master]', 'master of one session')
    .argument('[slave]', 'slave of that session')
    .option('--detail', 'also pending entry/data/meta ops, failures, checkpoint and backlog')
    .option('--json', 'JSON with gsyncd-style snake_case keys')
    .option('--workdir <dir>', WORKDIR_HELP)
    .addHelpText('after', STATUS_EXAMPLES)
    .action(async (master: string | undefined, slave: string | undefined, flags: StatusFlags) => {
      const workdir = resolveWorkdir(flags.workdir, ctx.io.env);
      if ((master === undefined) !== (slave === undefined)) {
        throw new GeorepError('USAGE', 'give both MASTER and SLAVE, or neither (every session)');
      }
      const dirs =
        master !== undefined && slave !== undefined
          ? [sessionDirOf(workdir, resolveMasterRoot(master), resolveSlaveRoot(slave))]
          : listSessions(workdir);
      const all: SessionStatus[] = [];
      for (const dir of dirs) {
        const s = await sessionStatus(dir, ctx.io.clock.nowMs());
        if (s !== undefined) all.push(s);
      }
      if (master !== undefined && all.length === 0) {
        throw new GeorepError('NOT_RUNNING', `no session for ${master} -> ${slave ?? ''} in ${workdir}`);
      }
      if (flags.json === true) {
        ctx.io.stdout.write(JSON.stringify(master === undefined ? all : all[0], null, 2) + '\n');
      } else {
        ctx.io.stdout.write(formatTable(all, flags.detail === true));
      }
    });

  const cp = program.command('checkpoint').summary('set a checkpoint, or ask whether it is reached');
  cp.command('set')
    .description('Set the checkpoint of a session: a time (now, or unix seconds) the slave must catch up to.')
    .argument('<master>')
    .argument('<slave>')
    .argument('<time>', 'now, or unix seconds')
    .option('--workdir <dir>', WORKDIR_HELP)
    .action((master: string, slave: string, time: string, flags: StatusFlags) => {
      const dir = sessionFolder(ctx, master, slave, flags.workdir);
      // now: the next whole second, so everything changed before this moment is included.
      const seconds = time === 'now' ? Math.ceil(ctx.io.clock.nowMs() / MS_PER_S) : Number(time);
      if (!Number.isSafeInteger(seconds) || seconds < 0) {
        throw new GeorepError('USAGE', `checkpoint time must be now or unix seconds, got ${JSON.stringify(time)}`);
      }
      writeSessionValues(dir, { ...stringValues(readSessionValues(dir)), checkpoint: String(seconds) });
      fs.rmSync(path.join(dir, SESSION_FILES.checkpoint), { force: true }); // a new target: no completion yet
      ctx.io.stdout.write(`georep: checkpoint set to ${new Date(seconds * MS_PER_S).toISOString()}\n`);
    });
  cp.command('status')
    .description('Say whether the checkpoint of a session is reached, and when it was.')
    .argument('<master>')
    .argument('<slave>')
    .option('--workdir <dir>', WORKDIR_HELP)
    .action((master: string, slave: string, flags: StatusFlags) => {
      const dir = sessionFolder(ctx, master, slave, flags.workdir);
      const v = readSessionValues(dir)['checkpoint'];
      const target = checkpointTargetMs(v === undefined ? '' : String(v));
      if (target === undefined) {
        ctx.io.stdout.write('checkpoint: none set\n');
        return;
      }
      const st = readCheckpointState(path.join(dir, SESSION_FILES.checkpoint));
      const at = new Date(target).toISOString();
      ctx.io.stdout.write(
        st?.targetMs === target && st.completedMs !== null
          ? `checkpoint ${at} completed at ${new Date(st.completedMs).toISOString()}\n`
          : `checkpoint ${at} not reached yet\n`,
      );
    });
}

function sessionFolder(ctx: CliContext, master: string, slave: string, workdir: string | undefined): string {
  const m = resolveMasterRoot(master);
  const s = resolveSlaveRoot(slave);
  return ensureSessionDir(resolveWorkdir(workdir, ctx.io.env), m, s);
}

function stringValues(v: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

function listSessions(workdir: string): string[] {
  const root = path.join(workdir, SESSIONS_DIR);
  try {
    return fs
      .readdirSync(root)
      .sort()
      .map((n) => path.join(root, n));
  } catch {
    return [];
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** One session's status: live from its socket, else from what the daemon left. */
export async function sessionStatus(dir: string, nowMs: number): Promise<SessionStatus | undefined> {
  const info = readJson<{ master: string; slave: string }>(path.join(dir, SESSION_FILES.info));
  if (info === undefined) return undefined;
  const monitorAlive = readLivePid(path.join(dir, DAEMON_FILES.pid)) !== undefined;
  const monitor = readMonitorState(path.join(dir, DAEMON_FILES.state));
  const paused = monitorAlive && fs.existsSync(path.join(dir, DAEMON_FILES.paused));
  // The monitor's word on the running session: Faulty (with cause and restart count) outranks
  // whatever a freshly restarted worker says about itself (Initializing…).
  const running = monitorAlive && monitor !== undefined ? monitor : undefined;
  const restarts = running?.restarts ?? null;
  const held = running !== undefined && !paused ? faultOf(running) : undefined;
  if (monitorAlive && !paused) {
    const live = await queryStatus(statusSocketPath(dir));
    if (live !== undefined) {
      return held === undefined ? { ...live, restarts } : { ...live, worker_status: 'Faulty', fault: held, restarts };
    }
  }
  const last = readJson<SessionStatus>(path.join(dir, SESSION_FILES.status));
  const base =
    last ??
    buildStatus({
      master: info.master,
      slave: info.slave,
      workerStatus: 'Stopped',
      stats: undefined,
      stimeMs: undefined,
      checkpoint: undefined,
      backlog: { files: 0, bytes: 0 },
      startedMs: undefined,
      fault: undefined,
      nowMs,
    });
  const stoppedFaulty = !monitorAlive && monitor?.state === 'Faulty';
  let workerStatus: WorkerStatus = 'Stopped';
  if (paused) workerStatus = 'Paused';
  else if (held !== undefined || stoppedFaulty) workerStatus = 'Faulty';
  else if (monitorAlive) workerStatus = 'Initializing…';
  return {
    ...base,
    worker_status: workerStatus,
    uptime_seconds: monitorAlive ? base.uptime_seconds : null,
    fault: held ?? (stoppedFaulty ? (monitor?.cause ?? 'unknown cause') : null),
    restarts,
    // A status file from before the mass-delete brake has neither field.
    held: base.held ?? null,
    deletes_held: base.deletes_held ?? 0,
    // Nor one from before the scheduled audit: no audit, not zero drift.
    drift: base.drift ?? null,
    audit_time: base.audit_time ?? null,
    audit_examined: base.audit_examined ?? null,
    audit_in_flight: base.audit_in_flight ?? null,
    audit_repaired: base.audit_repaired ?? null,
  };
}

/** A running session's fault in one line (cause and restart count), or undefined when not Faulty. */
function faultOf(m: MonitorState): string | undefined {
  if (m.state !== 'Faulty') return undefined;
  const cause = m.cause ?? 'unknown cause';
  return m.restarts === 0 ? cause : `${cause} (${m.restarts} worker exits in a row without a completed turn)`;
}

function formatTable(all: readonly SessionStatus[], detail: boolean): string {
  if (all.length === 0) return 'No sessions.\n';
  const head = ['MASTER', 'SLAVE', 'STATUS', 'CRAWL STATUS', 'LAST SYNCED'];
  const more = [
    'ENTRY',
    'DATA',
    'META',
    'FAILURES',
    'RETRY',
    'CHECKPOINT TIME',
    'CHECKPOINT COMPLETED',
    'COMPLETION TIME',
    'BACKLOG',
    'LAST AUDIT',
    'DRIFT',
  ];
  const rows = all.map((s) => {
    const base = [s.master, s.slave, s.worker_status, s.crawl_status ?? 'N/A', s.last_synced ?? 'N/A'];
    if (!detail) return base;
    return [
      ...base,
      String(s.entry),
      String(s.data),
      String(s.meta),
      String(s.failures),
      String(s.retry_pending),
      s.checkpoint_time ?? 'N/A',
      s.checkpoint_time === null ? 'N/A' : s.checkpoint_completed ? 'Yes' : 'No',
      s.checkpoint_completion_time ?? 'N/A',
      `${s.backlog_changelogs} (${humanBytes(s.backlog_bytes)})${s.eta_seconds === null || s.eta_seconds === 0 ? '' : `, ETA ${s.eta_seconds} s`}`,
      s.audit_time ?? 'never',
      s.drift === null ? 'N/A' : `${s.drift} of ${s.audit_examined ?? '?'}`,
    ];
  });
  const header = detail ? [...head, ...more] : head;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const s of all) if (s.fault !== null) out.push(`${s.master} -> ${s.slave}: Faulty: ${s.fault}`);
  for (const s of all) {
    if (s.held !== null)
      out.push(
        `${s.master} -> ${s.slave}: Held: ${s.held}; ${s.deletes_held} deletes held until georep release MASTER SLAVE`,
      );
  }
  for (const s of all) {
    if (s.drift !== null && s.drift > 0) out.push(`${s.master} -> ${s.slave}: Drift: ${driftText(s)}`);
  }
  return out.join('\n') + '\n';
}

/** One line on the drift the last audit found (drift > 0). */
function driftText(s: SessionStatus): string {
  const found = `the audit of ${s.audit_time ?? '?'} found ${s.drift ?? 0} of ${s.audit_examined ?? '?'} entries examined different on the slave`;
  if (s.audit_repaired !== null)
    return `${found}; ${s.audit_repaired} queued for repair (georep failures shows what is left)`;
  return `${found}; repair with georep verify --repair MASTER SLAVE, or set audit-repair`;
}
