// A session fixture for e2e describes that run the georep CLI: a fresh temp folder per test with
// the master, the workdir and the slave root, georep runs against them (with --workdir), and a
// cleanup that removes the folder (kept with GEOREP_KEEP_TMP=1 when the test failed). Call it
// once at the top of a describe; remote-session.ts builds the ssh variant on it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { describeRun, runGeorep } from './cli.js';
import type { RunOptions, RunResult } from './cli.js';

export interface SessionFixtureOptions {
  /** Prefix of each test's temp folder (a test's leftover processes are found by it). */
  readonly prefix: string;
  /** The slave root's name in the test's folder (default 'slave'). */
  readonly rootName?: string;
  /** The SLAVE argument for the root (default: the root's path, a local slave). */
  readonly slaveOf?: (root: string) => string;
  /** `georep stop` after each test, for describes whose tests start a daemon (default false). */
  readonly stop?: boolean;
  /** Runs after the stop and before the folder goes: ends leftovers, puts shared things back. */
  readonly cleanup?: () => void | Promise<void>;
}

export interface SessionFixture {
  /** The test's temp folder (realpath). */
  readonly tmp: string;
  readonly work: string;
  readonly master: string;
  /** The slave root as a local path (for a remote slave, the host shares this file system). */
  readonly root: string;
  /** The SLAVE argument. */
  readonly slave: string;
  /** `georep ...args --workdir WORK`, never rejecting on an exit status. */
  run(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** As run, and asserts the exit status. */
  expectExit(exit: number, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** Registers the describe's hooks; the fixture's folders are valid inside tests and in hooks registered after it. */
export function sessionFixture(opts: SessionFixtureOptions): SessionFixture {
  let tmp: string | undefined;
  const f: SessionFixture = {
    get tmp() {
      if (tmp === undefined) throw new Error('sessionFixture: the folders exist only inside a test');
      return tmp;
    },
    get work() {
      return path.join(f.tmp, 'work');
    },
    get master() {
      return path.join(f.tmp, 'master');
    },
    get root() {
      return path.join(f.tmp, opts.rootName ?? 'slave');
    },
    get slave() {
      return opts.slaveOf === undefined ? f.root : opts.slaveOf(f.root);
    },
    run: (args, runOpts) => runGeorep([...args, '--workdir', f.work], runOpts),
    expectExit: async (exit, args, runOpts) => {
      const r = await f.run(args, runOpts);
      expect(r.exitCode, describeRun(args, r)).to.equal(exit);
      return r;
    },
  };
  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix)));
  });
  afterEach(async function () {
    if (opts.stop === true) await runGeorep(['stop', f.master, f.slave, '--workdir', f.work]);
    await opts.cleanup?.();
    if (process.env['GEOREP_KEEP_TMP'] === '1' && this.currentTest?.state === 'failed') console.log(`kept ${f.tmp}`);
    // A remote agent ends on its host after `stop` returns (its ssh channel closed, it closes
    // its index): its last files in the slave's .georep may land while this removes the tree
    // (CI: ENOTEMPTY on .georep). rmSync retries those errors, with a growing pause.
    else fs.rmSync(f.tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    tmp = undefined;
  });
  return f;
}
