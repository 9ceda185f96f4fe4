// The slim agent entry (src/cli/agent-main.ts): a bad command line exits 2 with a usage line;
// a good one serves the protocol on stdin/stdout (every e2e sync spawns it that way too).

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { helloByeLines, helloParams } from '../slave/harness.js';
import { repoRoot } from '../support/cli.js';

const entry = path.join(repoRoot, 'src', 'cli', 'agent-main.ts');
const run = (args: readonly string[], input = '') =>
  spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repoRoot, input, encoding: 'utf8' });

describe('cli/agent-main', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-agent-main-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses a bad command line with exit 2 and a usage line', () => {
    for (const args of [[], ['--log-level'], ['--log-level', 'loud', tmp], [tmp, 'extra'], ['--weird', tmp]]) {
      const r = run(args);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/^usage: /);
    }
  });

  it('serves hello and bye for ROOT given after --log-level, then exits 0', () => {
    const r = run(['--log-level', 'error', path.join(tmp, 'slave')], helloByeLines());
    expect(r.status, r.stderr).to.equal(0);
    const replies = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; result?: unknown });
    expect(replies.map((x) => x.id)).to.deep.equal([1, 2]);
    expect(fs.existsSync(path.join(tmp, 'slave', '.georep', 'index.db'))).to.equal(true);
  });

  it('stops on SIGTERM by closing its index: the write-ahead log is folded into the database, exit 0', async () => {
    const root = path.join(tmp, 'slave');
    const child = spawn(process.execPath, ['--import', 'tsx', entry, root], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.stdin.write(`${JSON.stringify({ id: 1, method: 'hello', params: helloParams() })}\n`);
    await once(child.stdout, 'data'); // the hello's reply: the index is open, in WAL mode
    const wal = path.join(root, '.georep', 'index.db-wal');
    expect(fs.existsSync(wal), 'a WAL while it serves').to.equal(true);
    child.kill('SIGTERM'); // as a session's stop signals the worker's process group
    const [code, signal] = await exited;
    expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
    expect(fs.existsSync(wal), 'the WAL is gone: everything is in index.db').to.equal(false);
  });
});
