// Tests for the georep runner: it finds the repository, picks source (tsx) or dist by the
// flag, and its failure description carries exit status and the stderr tail.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { describeRun, georepCommand, repoRoot } from './cli.js';

describe('support/cli', function () {
  it('finds the repository root', function () {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg).to.have.property('name', 'georep');
  });

  it('runs from source through tsx by default, and dist/ when asked', function () {
    expect(georepCommand(false)).to.deep.equal({
      file: process.execPath,
      args: ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts')],
    });
    expect(georepCommand(true)).to.deep.equal({
      file: process.execPath,
      args: [path.join(repoRoot, 'dist', 'cli', 'main.js')],
    });
  });

  it('describes a run with its argv, exit status and the tail of stderr', function () {
    const text = describeRun(['sync', '--oneshot', 'a', 'b'], {
      exitCode: 3,
      signal: undefined,
      timedOut: false,
      stdout: '',
      stderr: `${Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n')}\n`,
      durationMs: 12.4,
    });
    expect(text).to.include('georep sync --oneshot a b');
    expect(text).to.include('exit=3 signal=none in 12 ms');
    expect(text).to.include('line 39');
    expect(text).not.to.include('line 10\n');
  });
});
