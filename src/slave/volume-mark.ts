// Volume mark: a slave root belongs to one master volume. The first hello binds it (uuid and
// path in the index meta); a different master is refused with FOREIGN_MASTER unless it asks
// to rebind (recover mode), which also drops the old master's stime.

import { GeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { SLAVE_STATE_DIR } from '../session-files.js';
import type { Methods } from './protocol.js';
import type { SlaveIndex } from './slave-index.js';

type Hello = Methods['hello']['params'];

export function bindVolume(index: SlaveIndex, root: string, hello: Hello, log: Logger): void {
  const volume = hello.masterVolume.toLowerCase();
  const bound = index.getMeta('masterVolume');
  if (bound !== undefined && bound !== volume) {
    const boundPath = index.getMeta('masterPath') ?? 'unknown path';
    if (!hello.rebind) {
      throw new GeorepError(
        'FOREIGN_MASTER',
        `slave root ${root} is already bound to master volume ${bound} (${boundPath}); remove ${root}/${SLAVE_STATE_DIR} to rebind, pick another slave root, or use special-sync-mode=recover`,
        { path: root },
      );
    }
    log.warn('rebinding slave root to another master volume', {
      path: root,
      from: bound,
      fromPath: boundPath,
      to: volume,
    });
    index.setMeta('stimeMs', undefined); // the old master's time says nothing about the new one
  }
  // Only a change is written: a commit at every hello cost the agent's start 0.2 s (profile of
  // a one-shot re-run), as much as the rest of its hello.
  if (bound !== volume || index.getMeta('masterPath') !== hello.masterPath) {
    index.transaction(() => {
      index.setMeta('masterVolume', volume);
      index.setMeta('masterPath', hello.masterPath);
    });
  }
  if (bound === undefined)
    log.info('bound slave root to master volume', { path: root, volume, masterPath: hello.masterPath });
}

/** The stored stime, or null before the first setStime. */
export function readStime(index: SlaveIndex): number | null {
  const v = index.getMeta('stimeMs');
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : null;
}
