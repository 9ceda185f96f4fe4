// SessionLock: one georep process per session at a time (a PidLock on the session folder's
// lock file; a lock whose pid is gone is stale and taken over).

import path from 'node:path';
import { PidLock } from '../pid-lock.js';
import { SESSION_FILES } from '../session-files.js';

export const SessionLock = {
  acquire(sessionDir: string): PidLock {
    return PidLock.acquire(path.join(sessionDir, SESSION_FILES.lock), sessionDir, {
      busy: (owner) => `session ${sessionDir} is in use by georep process ${owner}; wait for it to finish or stop it`,
      stuck: 'remove it if no georep process runs',
    });
  },
};
