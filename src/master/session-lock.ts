// SessionLock: one georep process per session at a time. A lock file holds the owner's pid;
// a lock whose pid is gone is stale (the owner crashed) and is taken over.

import fs from 'node:fs';
import path from 'node:path';
import { GeorepError, hasErrno } from '../errors.js';
import { isAlive } from '../monitor/index.js';
import { SESSION_FILES } from '../session-files.js';

export class SessionLock {
  private constructor(private readonly file: string) {}

  static acquire(sessionDir: string): SessionLock {
    const file = path.join(sessionDir, SESSION_FILES.lock);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new SessionLock(file);
      } catch (e) {
        if (!hasErrno(e, 'EEXIST')) throw e;
      }
      const owner = Number.parseInt(readOrEmpty(file), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new GeorepError(
          'SESSION_BUSY',
          `session ${sessionDir} is in use by georep process ${owner}; wait for it to finish or stop it`,
          { path: sessionDir },
        );
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
    throw new GeorepError('SESSION_BUSY', `could not take the lock ${file}; remove it if no georep process runs`, {
      path: file,
    });
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (hasErrno(e, 'ENOENT')) return '';
    throw e;
  }
}
