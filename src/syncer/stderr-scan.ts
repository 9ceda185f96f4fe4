// Reading a transfer's stderr: the tail kept for messages, and the gfids its error lines name.
// Farm and staging entries are named by gfid, so a UUID in a line pins the error to one item.

import type { Gfid } from '../changelog/index.js';
import { ITEM_MESSAGE_CHARS, STDERR_TAIL_CHARS, STDERR_TAIL_LINES } from './constants.js';

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The last STDERR_TAIL_LINES non-empty lines, at most STDERR_TAIL_CHARS characters. */
export function stderrTail(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const tail = lines.slice(-STDERR_TAIL_LINES).join('\n');
  return tail.length <= STDERR_TAIL_CHARS ? tail : '…' + tail.slice(-STDERR_TAIL_CHARS);
}

/**
 * Maps each gfid of `wanted` that some stderr line names to the first such line. rsync and
 * tar print the name relative to the farm (`g`), or a staging temp name (`.g.XXXXXX`).
 */
export function gfidErrorLines(stderr: string, wanted: readonly Gfid[]): Map<Gfid, string> {
  const want = new Map<string, Gfid>(wanted.map((g) => [g, g]));
  const found = new Map<Gfid, string>();
  for (const line of stderr.split('\n')) {
    for (const m of line.matchAll(UUID_RE)) {
      const g = want.get(m[0]);
      if (g !== undefined && !found.has(g)) found.set(g, line.slice(0, ITEM_MESSAGE_CHARS));
    }
  }
  return found;
}
