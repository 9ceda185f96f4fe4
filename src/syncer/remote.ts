// Command-line words for engines: option strings split on whitespace, and a command for a
// remote shell quoted word by word, since ssh joins its arguments into one shell line.

import type { CompressKind } from '../config.js';

/** `rsync-options` / `ssh-command` are plain words separated by whitespace (no quoting). */
export function splitWords(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

/** One word for a POSIX shell: single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Appends a slash so rsync copies the directory's contents, not the directory. */
export function withSlash(dir: string): string {
  return dir.endsWith('/') ? dir : dir + '/';
}

/**
 * How remote rsync runs carry the one path on their command line (the staging box or the seed
 * folder; every file name travels in a --from0 list on stdin): by rsync's own argument escaping
 * (rsync >= 3.2.4 backslash-escapes every shell character of a remote argument), made explicit
 * so RSYNC_OLD_ARGS / RSYNC_PROTECT_ARGS in the environment cannot change it. Not
 * --protect-args: it moves the path into the rsync protocol, where the forced command of a
 * restricted key (georep slave-gate, through rrsync) cannot check it, so rrsync refuses it.
 */
export const REMOTE_RSYNC_ARGS = ['--no-protect-args', '--no-old-args'] as const;

/** rsync's --timeout for a remote stream (RemoteTarget.ioTimeoutS), or nothing. */
export function rsyncTimeoutArgs(remote: { readonly ioTimeoutS?: number }): string[] {
  return remote.ioTimeoutS !== undefined && remote.ioTimeoutS > 0 ? [`--timeout=${remote.ioTimeoutS}`] : [];
}

/** rsync's arguments for the compress and compress-level options (none for off, or ssh's own). */
export function rsyncCompressArgs(compress: CompressKind | undefined, level: number | undefined): string[] {
  if (compress !== 'zstd' && compress !== 'zlib') return [];
  return ['--compress', `--compress-choice=${compress}`, ...(level ? [`--compress-level=${level}`] : [])];
}
