// The start-up environment, read once: empty variables count as unset, only GEOREP_DEBUG=1
// turns debug on, uid 0 is root, and the result cannot be changed afterwards.

import { expect } from 'chai';
import { readStartupEnv } from '../../src/cli/env.js';

describe('cli/readStartupEnv', () => {
  it('reads the variables georep honours, empty ones as unset', () => {
    const env = readStartupEnv(
      {
        GEOREP_WORKDIR: '/w',
        XDG_STATE_HOME: '',
        GEOREP_DEBUG: '1',
        JOURNAL_STREAM: '8:123',
        NOTIFY_SOCKET: '',
        OTHER: 'x',
      },
      0,
      '/root',
    );
    expect(env).to.deep.equal({
      workdir: '/w',
      xdgStateHome: undefined,
      home: '/root',
      isRoot: true,
      debug: true,
      journalStream: '8:123',
      notifySocket: undefined,
    });
    expect(Object.isFrozen(env)).to.equal(true);
  });

  it('is not root, not debugging and has no workdir unless told', () => {
    for (const debug of [undefined, '', '0', 'true', 'yes']) {
      const env = readStartupEnv({ GEOREP_DEBUG: debug, GEOREP_WORKDIR: '' }, 1000, '/home/u');
      expect([env.isRoot, env.debug, env.workdir], String(debug)).to.deep.equal([false, false, undefined]);
    }
    expect(readStartupEnv({}, undefined, '/').isRoot).to.equal(false);
  });
});
