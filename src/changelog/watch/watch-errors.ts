// Watcher errors: how every change source tells a human what went wrong, chiefly the inotify
// watch limit, which all three backends meet in their own way (Node's ENOSPC, parcel's strerror
// text) and which the recorder must report as WATCH_LIMIT with what to do about it.

import { errnoOf } from '../../errors.js';

/** What to tell a human whose inotify watch limit ran out. */
export function watchLimitAdvice(): string {
  return (
    'raise fs.inotify.max_user_watches (sysctl -w fs.inotify.max_user_watches=<n>, and persist it in ' +
    '/etc/sysctl.d/); the limit is per user and shared by every process of that user. chokidar takes one ' +
    'watch per file and directory, the parcel source one per directory'
  );
}

/** True when `e` says the inotify watch limit was reached: Node's ENOSPC, or parcel's strerror text. */
export function isWatchLimitError(e: unknown): boolean {
  if (errnoOf(e) === 'ENOSPC') return true;
  return e instanceof Error && e.message.includes('No space left on device');
}

/** `e`'s message, for a human-readable reason. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
