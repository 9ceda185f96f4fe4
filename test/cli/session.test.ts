// The local slave agent of a session (one-shot sync, verify, daemon) runs with V8's heap capped
// by daemon-heap, and at the session's log level: an uncapped agent of a 200k-file first sync
// peaked at 111 MiB against 77 MiB capped.

import { expect } from 'chai';
import type { CliContext } from '../../src/cli/context.js';
import { agentCommandOf } from '../../src/cli/session.js';
import type { PreparedSession } from '../../src/cli/session.js';
import { DAEMON_SEMI_SPACE_MIB } from '../../src/monitor/heap-cap.js';

describe('cli/session agentCommandOf', () => {
  it('caps the agent by daemon-heap and passes the log level', () => {
    const ctx = {
      io: { agentCommand: ['/usr/bin/node', '--import=tsx', '/g/agent-main.ts'] },
    } as unknown as CliContext;
    const s = { config: { daemonHeap: 96, logLevel: 'debug' } } as unknown as PreparedSession;
    expect(agentCommandOf(ctx, s)).to.deep.equal([
      '/usr/bin/node',
      '--max-old-space-size=96',
      `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`,
      '--import=tsx',
      '/g/agent-main.ts',
      '--log-level',
      'debug',
    ]);
  });
});
