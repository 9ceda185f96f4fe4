// RsyncEngine (sync-method rsync): one rsync run per box, master-relative paths fed
// NUL-terminated on stdin, delta transfer against the basis stageData linked into the box. Exit codes 23/24 are
// tolerated; any other failure rejects with RSYNC_FAILED carrying rsync's meaning and stderr.

import { assertNever } from '../changelog/index.js';
import type { SyncerConfig } from '../config.js';
import type { RemoteTarget, TransferRequest } from './engine.js';
import { classifyRsyncExit, rsyncExitMeaning } from './rsync-exit.js';
import { REMOTE_RSYNC_ARGS, rsyncCompressArgs, rsyncTimeoutArgs, splitWords, withSlash } from './remote.js';
import { nulTerminated } from './spawner.js';
import { SpawningEngine } from './spawning-engine.js';
import type { EngineRun } from './spawning-engine.js';
import type { Command, SpawnOutcome } from './spawner.js';
import { stderrTail } from './stderr-scan.js';
import { TransferError } from './transfer-error.js';

export type RsyncEngineConfig = Pick<SyncerConfig, 'rsyncCommand' | 'rsyncOptions' | 'useRsyncXattrs'> & {
  readonly remote?: RemoteTarget;
  /** Compression of the data to a remote slave (see the compress option); off when absent. */
  readonly compress?: SyncerConfig['compress'];
  readonly compressLevel?: number;
};

/**
 * The rsync command line for one box. `--files-from` turns off -a's recursion (every entry is
 * a file) and implies --relative: each file lands at its master-relative path in the box.
 * --no-implied-dirs: rsync sends no folder entries, so nothing it reads from the master (a
 * folder swapped for a symlink, say) can shape the box: the agent made real folders
 * beforehand, and a parent rsync must still create is a plain folder.
 * --ignore-missing-args lets a file deleted on the master since planning pass silently.
 */
export function buildRsyncCommand(
  cfg: RsyncEngineConfig,
  req: Pick<TransferRequest, 'sourceRoot' | 'stagingDir' | 'quickCheck' | 'sparse'>,
): Command {
  const args = [
    req.sparse ? '-aS' : '-a',
    '--numeric-ids',
    '--files-from=-',
    '--from0',
    '--ignore-missing-args',
    '--no-implied-dirs',
    '--stats',
  ];
  if (cfg.useRsyncXattrs) args.push('-X');
  switch (req.quickCheck) {
    case 'off':
      // A D record is proof the content changed; quick check would skip a same-size rewrite
      // in the same second, or one whose mtime was put back. The delta transfer still saves bytes.
      args.push('--ignore-times');
      break;
    case 'ns':
      // Crawl jobs have no such proof: compare mtimes to the nanosecond, not the second.
      args.push('--modify-window=-1');
      break;
    default:
      assertNever(req.quickCheck, 'quickCheck');
  }
  if (cfg.remote !== undefined) {
    // The staging path is escaped by rsync itself for the remote shell (REMOTE_RSYNC_ARGS).
    args.push(...REMOTE_RSYNC_ARGS, ...rsyncTimeoutArgs(cfg.remote), '-e', cfg.remote.sshCommand);
    args.push(...rsyncCompressArgs(cfg.compress, cfg.compressLevel));
  }
  args.push(...splitWords(cfg.rsyncOptions));
  const dest = cfg.remote === undefined ? withSlash(req.stagingDir) : `${cfg.remote.host}:${withSlash(req.stagingDir)}`;
  args.push(withSlash(req.sourceRoot), dest);
  return { file: cfg.rsyncCommand, args };
}

export class RsyncEngine extends SpawningEngine<RsyncEngineConfig> {
  readonly name = 'rsync';
  readonly usesBasis = true;
  readonly wholeFilesOnFailure = true;

  protected async run(req: TransferRequest): Promise<EngineRun> {
    const out = await this.deps.spawner.run(buildRsyncCommand(this.cfg, req), {
      stdin: nulTerminated(req.paths.map(filesFromLine)),
      signal: req.signal,
    });
    return {
      exitCode: checkRsyncExit(out, req),
      bytesSent: parseBytesSent(out.stdout),
      durationMs: out.durationMs,
      stderr: out.stderr,
      argv: out.argv,
    };
  }
}

/** Returns the exit code when it is tolerated; throws TransferError otherwise. */
function checkRsyncExit(out: SpawnOutcome, req: TransferRequest): number {
  const fields = {
    argv: out.argv,
    exitCode: out.exitCode,
    signal: out.signal,
    stderrTail: stderrTail(out.stderr),
    durationMs: out.durationMs,
  };
  const where = `rsync ${withSlash(req.sourceRoot)} -> ${withSlash(req.stagingDir)}`;
  if (out.aborted) throw new TransferError('ABORTED', `${where} was aborted (shutdown)`, fields);
  if (out.startError !== undefined) {
    throw new TransferError(
      'RSYNC_FAILED',
      `${where}: could not start ${out.argv[0] ?? 'rsync'}: ${out.startError}; check rsync-command`,
      fields,
    );
  }
  if (out.exitCode === undefined) {
    throw new TransferError(
      'RSYNC_FAILED',
      `${where} was killed by ${out.signal ?? 'a signal'}: ${fields.stderrTail}`,
      fields,
    );
  }
  if (classifyRsyncExit(out.exitCode) === 'fatal') {
    const meaning = rsyncExitMeaning(out.exitCode);
    throw new TransferError(
      'RSYNC_FAILED',
      `${where} failed with exit code ${out.exitCode} (${meaning}): ${fields.stderrTail || 'no stderr'}; check rsync-options, disk space and permissions on the slave`,
      fields,
    );
  }
  return out.exitCode;
}

const DOT_SLASH = Buffer.from('./');

/**
 * A master-relative path as a --files-from line. rsync skips lines that begin with '#' or ';'
 * (comments), even with --from0, so a bare '#hash' would never be sent; './' makes every line
 * start with '.', and under the implied --relative rsync drops a leading './' from the path it
 * creates, so the file still lands at its master-relative path.
 */
export function filesFromLine(rel: Buffer): Buffer {
  return Buffer.concat([DOT_SLASH, rel]);
}

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/**
 * `Total bytes sent: 1,234,567` from --stats. rsync groups digits with ',' (or '.' under a
 * locale whose decimal point is ','); with -h in rsync-options it prints `1.23M` instead.
 */
export function parseBytesSent(stats: string): number {
  const m = /Total bytes sent:\s*([\d.,]+)([KMGT]?)/.exec(stats);
  if (m === null) return 0;
  const [, num = '', unit = ''] = m;
  const scale = UNITS[unit] ?? 1;
  if (unit === '') return Number(num.replace(/[.,]/g, ''));
  return Math.round(Number(num.replace(',', '.')) * scale);
}
