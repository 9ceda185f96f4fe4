// Syncer tunables: every magic number of src/syncer lives here, with the reason for its value.
// They are constants, not config, because no deployment has needed to change them.

import { LIMITS } from '../slave/index.js';

/**
 * How long an aborted transfer gets between SIGTERM and SIGKILL of its process group.
 * rsync traps SIGTERM to delete its temp files and exits within milliseconds locally; ssh
 * needs a round trip to close the channel. Two seconds covers both without making a stop
 * of the daemon feel hung.
 */
export const KILL_GRACE_MS = 2000;

/** Lines of a child's stderr kept for messages and logs (rsync ends with a summary line). */
export const STDERR_TAIL_LINES = 20;

/** Characters of stderr tail kept at most, so a flood of per-file errors cannot bloat a log line. */
export const STDERR_TAIL_CHARS = 4000;

/** The tar executable of the tarssh engine (GNU tar: --null, -T -, --format=posix, --xattrs). */
export const TAR_COMMAND = 'tar';

/**
 * Fewest items a worker takes when it shares a queue with idle workers. Starting rsync (fork,
 * handshake, file list) costs about as much as sending a couple of hundred small files, so
 * splitting a small queue further only adds starts.
 */
export const MIN_BOX_FILES = 200;

/**
 * What a box's stageData/commitData request may take of LIMITS.messageBytes: half, leaving
 * room for the JSON around the items and for the reply.
 */
export const BOX_MESSAGE_BYTES = LIMITS.messageBytes / 2;

/** Wire bytes of one stage item besides its path: the gfid, the field names, the punctuation. */
export const ITEM_WIRE_BYTES = 64;
