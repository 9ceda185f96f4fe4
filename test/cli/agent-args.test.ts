// The agent's lean command line (src/cli/agent-args.ts) and `georep slave` taking it: the line a
// master sends over ssh runs the agent without the CLI around it (no commander loaded, which is
// most of a remote agent's start); any other `slave` line still gets the CLI and its messages.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { parseAgentArgs } from '../../src/cli/agent-args.js';
import { remoteAgentLine } from '../../src/slave/ssh-link.js';
import { helloByeLines } from '../slave/harness.js';
import { repoRoot } from '../support/cli.js';

describe('cli/agent-args', () => {
  it('takes the line a master sends (any order of options, -- before the root) and nothing else', () => {
    expect(parseAgentArgs(['/r'])).to.deep.equal({ root: '/r', level: 'info' });
    expect(parseAgentArgs(['--idle-timeout', '30', '--log-level', 'debug', '--', '-odd root'])).to.deep.equal({
      root: '-odd root',
      level: 'debug',
      idleTimeoutMs: 30_000,
    });
    for (const bad of [
      [],
      ['--help'],
      ['--log-file', 'x', '/r'],
      ['--log-level', 'loud', '/r'],
      ['--idle-timeout', '0', '/r'],
      ['--idle-timeout', '1.5', '/r'],
      ['--idle-timeout', '/r'],
      ['/r', 'extra'],
      ['/r', '--log-level', 'info'],
      ['--', '/r', 'extra'],
      ['--'],
      ['-x', '/r'],
    ])
      expect(parseAgentArgs(bad), bad.join(' ')).to.equal(undefined);
  });

  it('takes the words remoteAgentLine makes for a root with spaces, quotes, $ and ;', () => {
    const root = `/srv/it's a "root" $HOME; x`;
    const line = remoteAgentLine({ remoteGeorep: 'georep', slaveTimeout: 45 }, root, 'warn');
    // The remote shell's words: sh parses the line as sshd's login shell would.
    const words = spawnSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' })
      .stdout.split('\0')
      .slice(0, -1);
    expect(words.slice(0, 2)).to.deep.equal(['georep', 'slave']);
    expect(parseAgentArgs(words.slice(2))).to.deep.equal({ root, level: 'warn', idleTimeoutMs: 45_000 });
  });

  describe('georep slave', function () {
    this.timeout(30_000);
    let tmp: string;
    beforeEach(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-agent-args-'));
      // Records every module URL the process resolves (the hooks run on their own thread).
      fs.writeFileSync(
        path.join(tmp, 'hooks.mjs'),
        `import fs from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  fs.appendFileSync(${JSON.stringify(path.join(tmp, 'resolved.txt'))}, r.url + '\\n');
  return r;
}`,
      );
      fs.writeFileSync(
        path.join(tmp, 'register.mjs'),
        `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(tmp, 'hooks.mjs')).href)});\n`,
      );
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const run = (args: readonly string[], input: string) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', '--import', pathToFileURL(path.join(tmp, 'register.mjs')).href, 'src/cli/main.ts', ...args],
        { cwd: repoRoot, input, encoding: 'utf8' },
      );
    const resolved = (): string => fs.readFileSync(path.join(tmp, 'resolved.txt'), 'utf8');

    it("serves the master's line without loading the CLI (commander)", () => {
      const root = path.join(tmp, '-slave root');
      const r = run(['slave', '--log-level', 'error', '--idle-timeout', '30', '--', root], helloByeLines());
      expect(r.status, r.stderr).to.equal(0);
      expect(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { id: number }).id),
      ).to.deep.equal([1, 2]);
      expect(fs.existsSync(path.join(root, '.georep', 'index.db'))).to.equal(true);
      expect(resolved()).to.include('/src/slave/');
      expect(resolved()).not.to.include('/commander/');
    });

    it('gives any other slave line to the CLI (its help, its usage errors)', () => {
      const help = run(['slave', '--help'], '');
      expect(help.status).to.equal(0);
      expect(help.stdout).to.include('--log-file');
      expect(resolved()).to.include('/commander/');
      const bad = run(['slave', '--idle-timeout', '0', path.join(tmp, 's')], '');
      expect(bad.status).to.not.equal(0);
      expect(bad.stderr).to.include('--idle-timeout expects whole seconds');
    });
  });
});
