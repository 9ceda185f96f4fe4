// Master volume id: a stable uuid for a master tree, derived from the host name and the
// master's real path, so the same master always presents the same id to its slaves without
// writing anything into the master tree, and another tree is recognised as foreign.

import { createHash } from 'node:crypto';
import os from 'node:os';

export function masterVolumeId(realMasterPath: string): string {
  const h = createHash('sha256').update(os.hostname()).update('\0').update(realMasterPath).digest('hex');
  // Shaped as a version-5-style uuid (variant bits set) for readability in marks and messages.
  const v = `5${h.slice(13, 16)}`;
  const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${v}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
