// One verify, repair or scheduled audit per session at a time: a PidLock beside the session
// lock. Separate from the session lock, which the daemon and one-shot syncs hold: verify reads
// while they run (and the daemon's worker takes this lock for its audits).

import path from 'node:path';
import { PidLock } from '../pid-lock.js';
import { SESSION_FILES } from '../session-files.js';

export const VerifyLock = {
  acquire(sessionDir: string): PidLock {
    return PidLock.acquire(path.join(sessionDir, SESSION_FILES.verifyLock), sessionDir, {
      busy: (owner) =>
        `a verify, repair or scheduled audit of this session runs already (georep process ${owner}); wait for it, or stop it (an audit is run by the session's worker)`,
      stuck: 'remove it if no georep verify runs',
    });
  },
};
