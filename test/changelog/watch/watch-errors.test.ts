// Watcher errors: the inotify watch limit is recognised however a backend reports it (Node's
// ENOSPC, parcel's strerror text), and nothing else is taken for it.

import { expect } from 'chai';
import { describeError, isWatchLimitError } from '../../../src/changelog/watch/watch-errors.js';

const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('changelog/watch/watch-errors', () => {
  it('recognises the watch limit as Node and parcel report it', () => {
    expect(isWatchLimitError(errno('ENOSPC', 'ENOSPC: System limit for number of file watchers reached'))).to.equal(
      true,
    );
    expect(isWatchLimitError(new Error('Error starting inotify watch: No space left on device'))).to.equal(true);
  });

  it('takes no other error for it', () => {
    for (const e of [
      errno('EACCES', 'permission denied'),
      errno('ENOENT', 'gone'),
      new Error('boom'),
      'ENOSPC',
      undefined,
    ]) {
      expect(isWatchLimitError(e), String(e)).to.equal(false);
    }
  });

  it('describes an Error by its message and anything else as a string', () => {
    expect([describeError(new Error('broke')), describeError('text'), describeError(7)]).to.deep.equal([
      'broke',
      'text',
      '7',
    ]);
  });
});
