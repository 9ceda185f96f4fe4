// PidLock: a lock file that holds its owner's pid, made with O_EXCL. A lock whose pid is gone is
// stale (its owner crashed) and is taken over once; a live owner is named in the refusal, so an
// operator knows which process to wait for. The session lock and the verify lock are two files
// with this one rule.

import fs from 'node:fs';
import { GeorepError, hasErrno } from './errors.js';
import { isAlive } from './monitor/index.js';

export interface PidLockWords {
  /** The refusal when a live process holds the lock. */
  readonly busy: (owner: number) => string;
  /** What to do when the lock could not be taken twice over (a race with another taker). */
  readonly stuck: string;
}

export class PidLock {
  private constructor(private readonly file: string) {}

  /** Takes `file`, or throws SESSION_BUSY naming the live owner (`path` is the error's subject). */
  static acquire(file: string, subject: string, words: PidLockWords): PidLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new PidLock(file);
      } catch (e) {
        if (!hasErrno(e, 'EEXIST')) throw e;
      }
      const owner = Number.parseInt(readOrEmpty(file), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new GeorepError('SESSION_BUSY', words.busy(owner), { path: subject });
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
    throw new GeorepError('SESSION_BUSY', `could not take the lock ${file}; ${words.stuck}`, { path: file });
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
