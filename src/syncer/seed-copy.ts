// SeedCopy: the whole master tree copied at once into an empty local slave's seed folder by
// GNU cp, several processes in parallel over the top-level entries. File by file through the
// gfid pipeline, a first sync paid per-file costs on both ends that a bulk copy does not: cp
// copies in the kernel (copy_file_range) and sets times to the nanosecond. What it made is
// then adopted entry by entry against the crawl (src/master/seeding.ts, src/slave/adopt.ts).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CompressKind } from '../config.js';
import type { RemoteTarget } from './engine.js';
import { REMOTE_RSYNC_ARGS, rsyncCompressArgs, rsyncTimeoutArgs, withSlash } from './remote.js';
import { filesFromLine } from './rsync-engine.js';
import { ExecaSpawner, nulTerminated } from './spawner.js';
import type { Command, Spawner } from './spawner.js';
import { stderrTail } from './stderr-scan.js';
import { SLAVE_STATE_DIR } from '../session-files.js';

export interface SeedCopyRequest {
  /** The master root (absolute). */
  readonly sourceRoot: string;
  /** The empty folder the tree is copied into (seedBegin's answer): local, or on `remote`. */
  readonly destDir: string;
  /**
   * A slave on another host: cp cannot cross hosts, so rsync streams the tree there instead
   * (one process per group of top-level entries, over the session's shared ssh connection).
   */
  readonly remote?: RemoteTarget;
  /** Compression of a remote stream (the compress and compress-level options). */
  readonly compress?: CompressKind;
  readonly compressLevel?: number;
  /** cp processes run in parallel (sync-jobs). */
  readonly jobs: number;
  /** Owners are copied (this process runs as root). */
  readonly owners: boolean;
  /** Extended attributes are copied (use-rsync-xattrs). */
  readonly xattrs: boolean;
  readonly signal?: AbortSignal;
  /**
   * Called once every copy process runs (or it is clear none will). The crawl that follows
   * holds the event loop in long chunks: started before this, it held back the spawns it
   * meant to run beside, 3 s of a 50,000-file remote first sync.
   */
  readonly onStarted?: () => void;
}

export interface SeedCopyResult {
  readonly ok: boolean;
  /** Why not, for the log: the failing cp's exit and stderr. */
  readonly why: string;
  readonly processes: number;
  readonly durationMs: number;
}

/** The master's own top-level .georep is never replicated (the crawl skips it too). */
const RESERVED = Buffer.from(SLAVE_STATE_DIR);
/** Past this many argument bytes one cp of the root's contents is used instead (ARG_MAX). */
const MAX_ARG_BYTES = 512 * 1024;

export class SeedCopy {
  constructor(private readonly spawner: Spawner = new ExecaSpawner()) {}

  async run(req: SeedCopyRequest): Promise<SeedCopyResult> {
    const started = performance.now();
    const groups =
      req.remote === undefined
        ? sourceGroups(req.sourceRoot, req.jobs).map((g) => ({ cmd: cpCommand(req, g), stdin: undefined }))
        : nameGroups(req.sourceRoot, req.jobs).map((g) => ({
            cmd: rsyncSeedCommand(req, req.remote as RemoteTarget),
            stdin: nulTerminated(g.map(filesFromLine)),
          }));
    let waiting = groups.length;
    const onStarted = (): void => {
      if (--waiting === 0) req.onStarted?.();
    };
    const runs = groups.map((g) =>
      this.spawner.run(g.cmd, {
        ...(req.signal === undefined ? {} : { signal: req.signal }),
        ...(g.stdin === undefined ? {} : { stdin: g.stdin }),
        onStarted,
      }),
    );
    if (runs.length === 0) {
      req.onStarted?.();
      return { ok: true, why: '', processes: 0, durationMs: 0 };
    }
    const outs = await Promise.all(runs);
    const bad = outs.find((o) => o.exitCode !== 0);
    const durationMs = Math.round(performance.now() - started);
    if (bad === undefined) return { ok: true, why: '', processes: outs.length, durationMs };
    const how =
      bad.startError !== undefined
        ? `could not start ${bad.argv[0] ?? 'cp'}: ${bad.startError}`
        : bad.exitCode === undefined
          ? `killed by ${bad.signal ?? 'a signal'}`
          : `exit code ${bad.exitCode}`;
    const tail = stderrTail(bad.stderr);
    const tool = req.remote === undefined ? 'cp' : 'rsync';
    return { ok: false, why: `${tool} ${how}${tail === '' ? '' : ': ' + tail}`, processes: outs.length, durationMs };
  }
}

/**
 * The rsync command line of a remote seed stream: the top-level names on stdin (--files-from,
 * './'-prefixed like every list georep hands rsync), -r to take each whole, -H for hard links
 * within the stream, -S for holes; no name meets the remote shell (see REMOTE_RSYNC_ARGS).
 */
export function rsyncSeedCommand(
  req: Pick<SeedCopyRequest, 'sourceRoot' | 'destDir' | 'xattrs' | 'compress' | 'compressLevel'>,
  remote: RemoteTarget,
): Command {
  const args = [
    '-aHS',
    '-r',
    '--numeric-ids',
    '--files-from=-',
    '--from0',
    ...REMOTE_RSYNC_ARGS,
    ...rsyncTimeoutArgs(remote),
    '-e',
    remote.sshCommand,
  ];
  if (req.xattrs) args.push('-X');
  args.push(...rsyncCompressArgs(req.compress, req.compressLevel));
  args.push(withSlash(req.sourceRoot), `${remote.host}:${withSlash(req.destDir)}`);
  return { file: 'rsync', args };
}

/** The top-level names (bytes, any name) in `jobs` groups of about equal count, the reserved one left out. */
export function nameGroups(root: string, jobs: number): Buffer[][] {
  const names = readdirSync(root, { encoding: 'buffer' })
    .filter((n) => !n.equals(RESERVED))
    .sort(Buffer.compare);
  const groups: Buffer[][] = Array.from({ length: Math.min(jobs, names.length) }, () => []);
  names.forEach((n, i) => groups[i % groups.length]?.push(n));
  return groups;
}

/**
 * The cp command line: -d copies symlinks as symlinks, --preserve=links keeps hard links
 * within one process, cp's default --sparse=auto keeps holes.
 */
export function cpCommand(
  req: Pick<SeedCopyRequest, 'destDir' | 'owners' | 'xattrs'>,
  sources: readonly string[],
): Command {
  const keep = ['mode', 'timestamps', 'links', ...(req.owners ? ['ownership'] : []), ...(req.xattrs ? ['xattr'] : [])];
  return { file: 'cp', args: ['-dR', `--preserve=${keep.join(',')}`, '-t', req.destDir, '--', ...sources] };
}

/**
 * The top-level entries in `jobs` groups of about equal count. Names that are not valid UTF-8
 * cannot travel as arguments: then one cp copies the root's contents (`root/.`), as it does
 * when the names would not fit in an argument list.
 */
export function sourceGroups(root: string, jobs: number): string[][] {
  const names = readdirSync(root, { encoding: 'buffer' })
    .filter((n) => !n.equals(RESERVED))
    .sort(Buffer.compare); // the same groups on every run
  if (names.length === 0) return [];
  const texts = names.map((n) => n.toString('utf8'));
  const lossless = texts.every((t, i) => Buffer.from(t, 'utf8').equals(names[i] as Buffer));
  const bytes = names.reduce((sum, n) => sum + n.length + root.length + 2, 0);
  if (!lossless || bytes > MAX_ARG_BYTES) return [[`${root.replace(/\/+$/, '')}/.`]]; // not join(): it drops the '.'
  const groups: string[][] = Array.from({ length: Math.min(jobs, names.length) }, () => []);
  texts.forEach((t, i) => groups[i % groups.length]?.push(join(root, t)));
  return groups;
}
