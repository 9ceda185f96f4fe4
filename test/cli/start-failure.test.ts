// georep start when the detached daemon never comes up: the verb fails with DAEMON_NOT_STARTED
// and the daemon's exit status (5), not a usage error: the command line was fine.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { systemClock } from '../../src/clock.js';
import type { CliIo } from '../../src/cli/context.js';
import { readStartupEnv } from '../../src/cli/env.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';

function io(selfCommand: readonly string[], workdir: string): { io: CliIo; stderr: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (c: Buffer) => chunks.push(c));
  return {
    io: {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr,
      stderrIsTTY: false,
      stderrIsJournal: false,
      env: readStartupEnv({ GEOREP_WORKDIR: workdir }, process.getuid?.(), os.homedir()),
      selfCommand,
      argv: [],
      heapLimitMiB: 0,
      agentCommand: [],
      clock: systemClock,
      outputGone: new AbortController().signal,
      trapSignals: () => ({ signal: new AbortController().signal, release: () => undefined }),
    },
    stderr: () => Buffer.concat(chunks).toString(),
  };
}

describe('georep start (detached)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-start-'));
    fs.mkdirSync(path.join(tmp, 'm'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('exits with the daemon status when the daemon exits at once', async () => {
    // `false` stands in for a daemon that dies before it writes its pid file.
    const run = io(['false'], path.join(tmp, 'work'));
    const code = await runCli(['start', path.join(tmp, 'm'), path.join(tmp, 's')], run.io);
    expect(run.stderr()).to.match(/exited at once/);
    expect(code).to.equal(EXIT.daemon);
  });
});
