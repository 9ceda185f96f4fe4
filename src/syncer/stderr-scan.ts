// Reading a transfer's stderr: the tail kept for messages and logs.

import { STDERR_TAIL_CHARS, STDERR_TAIL_LINES } from './constants.js';

/** The last STDERR_TAIL_LINES non-empty lines, at most STDERR_TAIL_CHARS characters. */
export function stderrTail(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const tail = lines.slice(-STDERR_TAIL_LINES).join('\n');
  return tail.length <= STDERR_TAIL_CHARS ? tail : '…' + tail.slice(-STDERR_TAIL_CHARS);
}
