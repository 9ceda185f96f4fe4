// TarEngine (sync-method tarssh): `tar -c` of the box's master paths piped into `tar -x` in the
// staging box, locally or through ssh. Whole files, no delta: for many small files, where rsync's per-file
// handshake costs more than the bytes. Vanished members are tolerated; other errors are TAR_FAILED.

import type { SyncerConfig } from '../config.js';
import { TAR_COMMAND } from './constants.js';
import type { RemoteTarget, TransferRequest } from './engine.js';
import { shellQuote, splitWords } from './remote.js';
import { nulTerminated } from './spawner.js';
import { SpawningEngine } from './spawning-engine.js';
import type { EngineRun } from './spawning-engine.js';
import type { Command, PipeOutcome, SpawnOutcome } from './spawner.js';
import { stderrTail } from './stderr-scan.js';
import { TransferError } from './transfer-error.js';

export type TarEngineConfig = Pick<SyncerConfig, 'useRsyncXattrs'> & {
  readonly remote?: RemoteTarget;
  /**
   * Extract with --same-owner: pass hello's isRoot. Defaults to whether this process is root,
   * which is right for a local slave agent running as the same user.
   */
  readonly sameOwner?: boolean;
};

export interface TarCommands {
  readonly source: Command;
  readonly dest: Command;
}

export function buildTarCommands(
  cfg: TarEngineConfig,
  req: Pick<TransferRequest, 'sourceRoot' | 'stagingDir'>,
): TarCommands {
  // No -h: a path that became a symlink is archived as one, and the agent refuses to commit it.
  // --totals reports the archive size on stderr. --no-unquote, before -C where it takes effect:
  // GNU tar reads escapes in -C's directory (`q\101` is `qA`), so a root path holding a
  // backslash named another directory (remote probe). Names from -T with --null are literal.
  const create = [
    '--no-unquote',
    '-C',
    req.sourceRoot,
    '--null',
    '-T',
    '-',
    '-c',
    '-S',
    '--format=posix',
    '--totals',
    '-f',
    '-',
  ];
  const extract = ['--no-unquote', '-C', req.stagingDir, '-x', '-f', '-', '--numeric-owner'];
  if (cfg.sameOwner ?? process.getuid?.() === 0) extract.push('--same-owner');
  if (cfg.useRsyncXattrs) {
    create.push('--xattrs');
    extract.push('--xattrs');
  }
  const source = { file: TAR_COMMAND, args: create };
  if (cfg.remote === undefined) return { source, dest: { file: TAR_COMMAND, args: extract } };
  const [ssh = 'ssh', ...sshArgs] = splitWords(cfg.remote.sshCommand);
  const remoteLine = [TAR_COMMAND, ...extract].map(shellQuote).join(' ');
  return { source, dest: { file: ssh, args: [...sshArgs, cfg.remote.host, remoteLine] } };
}

export class TarEngine extends SpawningEngine<TarEngineConfig> {
  readonly name = 'tarssh';
  readonly usesBasis = false;
  readonly wholeFilesOnFailure = false;

  // A member that changed while read is still committed (exit 1, partial): the write that
  // changed it left a D record of its own, which sends the settled content.
  protected async run(req: TransferRequest): Promise<EngineRun> {
    const { source, dest } = buildTarCommands(this.cfg, req);
    const out = await this.deps.spawner.pipe(source, dest, { stdin: nulTerminated(req.paths), signal: req.signal });
    return {
      exitCode: checkTarExit(out, req),
      bytesSent: parseTotals(out.source.stderr),
      durationMs: Math.max(out.source.durationMs, out.dest.durationMs),
      stderr: `${withoutTotals(out.source.stderr)}\n${out.dest.stderr}`,
      argv: [...out.source.argv, '|', ...out.dest.argv],
    };
  }
}

const TOTALS_RE = /^Total bytes written: (\d+)/m;
/** Errors that only say a member is gone (deleted on the master since the box was planned). */
const VANISHED_RE = /^tar: .+: (?:Cannot (?:stat|open): No such file or directory|File removed before we read it)$/;
const EPILOGUE_RE = /^tar: Exiting with failure status due to previous errors$/;
/**
 * Errors that concern one member only, which the archive then leaves out (or holds whole): a
 * file this user may not read, one gone or changed meanwhile. The extracting side wrote every
 * member it got whole, so the box is committed and each item judged: the member left out is
 * not delivered, the others are. Taken as fatal, one unreadable file kept its whole box off the
 * slave at every run (review of the commit that stopped committing failed tar boxes).
 */
const MEMBER_RE =
  /^tar: .+: (?:Cannot (?:stat|open|read|readlink)|File removed before we read it|file changed as we read it|File shrank by)/;

/** The creating tar's exit code when tolerated; throws TransferError otherwise. */
function checkTarExit(out: PipeOutcome, req: TransferRequest): number {
  const tail = stderrTail(`${withoutTotals(out.source.stderr)}\n${out.dest.stderr}`);
  const fields = {
    argv: [...out.source.argv, '|', ...out.dest.argv],
    exitCode: out.dest.exitCode === 0 ? out.source.exitCode : out.dest.exitCode,
    signal: out.dest.signal ?? out.source.signal,
    stderrTail: tail,
    durationMs: Math.max(out.source.durationMs, out.dest.durationMs),
  };
  const where = `tar ${req.sourceRoot} | tar -x in ${req.stagingDir}`;
  if (out.aborted) throw new TransferError('ABORTED', `${where} was aborted (shutdown)`, fields);
  const fail = (what: string): never => {
    throw new TransferError('TAR_FAILED', `${where}: ${what}: ${tail || 'no stderr'}`, fields);
  };
  for (const side of [out.source, out.dest]) {
    if (side.startError !== undefined) fail(`could not start ${side.argv[0] ?? 'tar'} (${side.startError})`);
    if (side.exitCode === undefined) fail(`${side.argv[0] ?? 'tar'} was killed by ${side.signal ?? 'a signal'}`);
  }
  if (out.dest.exitCode !== 0)
    fail(`extracting side exited with code ${String(out.dest.exitCode)}; check the staging dir and ssh`);
  const code = out.source.exitCode ?? 2;
  if (code === 0 || code === 1) return code; // 1: some member changed while being read
  if (code === 2 && onlyMemberErrors(out.source)) return code;
  return fail(`creating side exited with code ${code}`);
}

/**
 * True when every error line of the creating tar concerns one member (gone, unreadable,
 * changed). Which members were delivered is then checked per item (the Syncer compares each
 * committed file with the master's).
 */
function onlyMemberErrors(source: SpawnOutcome): boolean {
  return withoutTotals(source.stderr)
    .split('\n')
    .filter((l) => l.trim() !== '' && !EPILOGUE_RE.test(l))
    .every((l) => VANISHED_RE.test(l) || MEMBER_RE.test(l));
}

function parseTotals(stderr: string): number {
  const m = TOTALS_RE.exec(stderr);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

function withoutTotals(stderr: string): string {
  return withoutLines(stderr, TOTALS_RE);
}

function withoutLines(text: string, re: RegExp): string {
  const single = new RegExp(re.source); // drop the m flag: test one line at a time
  return text
    .split('\n')
    .filter((l) => !single.test(l))
    .join('\n');
}
