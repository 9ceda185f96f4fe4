// A session for tests that run georep's own session code in process (runOneshot, runLive, the
// recorder) against real folders and a real agent subprocess (test/support/agent-bin.ts): the
// master, the slave root and the session folder made under `tmp`, and the options those runs share.

import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { resolveSlave } from '../../src/cli/roots.js';
import type { RawValue } from '../../src/cli/values.js';
import type { SessionRunOptions } from '../../src/master/session-setup.js';

export interface InProcessSession {
  readonly master: string;
  readonly slaveRoot: string;
  readonly sessionDir: string;
  /** What runOneshot and runLive take, less the log (and the signal). */
  readonly base: Omit<SessionRunOptions, 'log'>;
}

export function inProcessSession(tmp: string, values: Readonly<Record<string, RawValue>> = {}): InProcessSession {
  const master = path.join(tmp, 'master');
  const slaveRoot = path.join(tmp, 'slave');
  const sessionDir = path.join(tmp, 'session');
  for (const d of [master, slaveRoot, sessionDir]) fs.mkdirSync(d, { recursive: true });
  const { slave, name } = resolveSlave(slaveRoot);
  return {
    master,
    slaveRoot,
    sessionDir,
    base: {
      masterRoot: master,
      slaveRoot: name,
      slave,
      sessionDir,
      config: resolveConfig([{ source: 'the test', values }]),
      agentCommand: [process.execPath, '--import', 'tsx', 'test/support/agent-bin.ts'],
    },
  };
}
