// One verify, repair or scheduled audit per session at a time: a pid file beside the session
// lock. Separate from the session lock, which the daemon and one-shot syncs hold: verify reads
// while they run (and the daemon's worker takes this lock for its audits).

import fs from 'node:fs';
import path from 'node:path';
import { GeorepError, hasErrno } from '../errors.js';
import { isAlive } from '../monitor/index.js';

export class VerifyLock {
  private constructor(private readonly file: string) {}

  static acquire(sessionDir: string): VerifyLock {
    const file = path.join(sessionDir, 'verify.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new VerifyLock(file);
      } catch (e) {
        if (!hasErrno(e, 'EEXIST')) throw e;
      }
      const owner = Number.parseInt(readOrEmpty(file), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new GeorepError(
          'SESSION_BUSY',
          `a verify, repair or scheduled audit of this session runs already (georep process ${owner}); wait for it, or stop it (an audit is run by the session's worker)`,
          { path: sessionDir },
        );
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
    throw new GeorepError('SESSION_BUSY', `could not take the lock ${file}; remove it if no georep verify runs`, {
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
