// rsync's exit codes (rsync(1) "EXIT VALUES") and how the Syncer treats each: 0 is success,
// 23/24 are partial transfers whose per-gfid outcome the Syncer works out; all else fails the box.

export type RsyncExitClass = 'ok' | 'partial' | 'fatal';

interface ExitEntry {
  readonly meaning: string;
  readonly kind: RsyncExitClass;
}

/** As printed by rsync(1). 23 and 24 are the only non-zero codes a healthy run produces. */
export const RSYNC_EXIT_CODES: Readonly<Record<number, ExitEntry>> = {
  0: { meaning: 'success', kind: 'ok' },
  1: { meaning: 'syntax or usage error', kind: 'fatal' },
  2: { meaning: 'protocol incompatibility', kind: 'fatal' },
  3: { meaning: 'errors selecting input/output files, dirs', kind: 'fatal' },
  4: { meaning: 'requested action not supported', kind: 'fatal' },
  5: { meaning: 'error starting client-server protocol', kind: 'fatal' },
  6: { meaning: 'daemon unable to append to log-file', kind: 'fatal' },
  10: { meaning: 'error in socket I/O', kind: 'fatal' },
  11: { meaning: 'error in file I/O', kind: 'fatal' },
  12: { meaning: 'error in rsync protocol data stream', kind: 'fatal' },
  13: { meaning: 'errors with program diagnostics', kind: 'fatal' },
  14: { meaning: 'error in IPC code', kind: 'fatal' },
  20: { meaning: 'received SIGUSR1 or SIGINT', kind: 'fatal' },
  21: { meaning: 'some error returned by waitpid()', kind: 'fatal' },
  22: { meaning: 'error allocating core memory buffers', kind: 'fatal' },
  // Some files were not transferred (e.g. an I/O error on one file): the rest are good.
  23: { meaning: 'partial transfer due to error', kind: 'partial' },
  // A source file disappeared between the file list and its transfer: normal on a live tree.
  24: { meaning: 'partial transfer due to vanished source files', kind: 'partial' },
  25: { meaning: 'the --max-delete limit stopped deletions', kind: 'fatal' },
  30: { meaning: 'timeout in data send/receive', kind: 'fatal' },
  35: { meaning: 'timeout waiting for daemon connection', kind: 'fatal' },
  // Not rsync's own codes, but what a remote run reports when the shell or ssh fails.
  127: { meaning: 'command not found (rsync missing on the remote host?)', kind: 'fatal' },
  255: { meaning: 'ssh connection failed', kind: 'fatal' },
};

export function classifyRsyncExit(code: number): RsyncExitClass {
  return RSYNC_EXIT_CODES[code]?.kind ?? 'fatal';
}

export function rsyncExitMeaning(code: number): string {
  return RSYNC_EXIT_CODES[code]?.meaning ?? 'unknown exit code';
}
