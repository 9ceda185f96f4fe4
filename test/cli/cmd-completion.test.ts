// `georep completion bash`: the script it prints, loaded into a real bash and asked for
// completions the way bash asks (COMP_WORDS, COMP_CWORD, COMP_LINE): verbs, options, option
// values, config keys, and session masters and slaves read from the workdir.

import { expect } from 'chai';
import { execa } from 'execa';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSessionPairs } from '../../src/cli/cmd-completion.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, repoRoot, runGeorep } from '../support/cli.js';

describe('cli/completion (bash)', function () {
  this.timeout(120_000);
  let tmp: string;
  let script: string;
  let binDir: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-completion-'));
    const r = await runGeorep(['completion', 'bash']);
    expect(r.exitCode, describeRun(['completion', 'bash'], r)).to.equal(0);
    script = path.join(tmp, 'georep.bash');
    fs.writeFileSync(script, r.stdout);
    // `georep` on PATH runs this checkout from source, as the script calls the command typed.
    binDir = path.join(tmp, 'bin');
    fs.mkdirSync(binDir);
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    fs.writeFileSync(
      path.join(binDir, 'georep'),
      `#!/bin/sh\nexec '${process.execPath}' --import '${tsx}' '${path.join(repoRoot, 'src', 'cli', 'main.ts')}' "$@"\n`,
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** What bash offers for `words` (the last one is the word under the cursor, as typed). */
  async function complete(
    words: readonly string[],
    env: Record<string, string> = {},
    line = words.join(' '),
  ): Promise<string[]> {
    const driver =
      'source "$1"; shift; COMP_LINE=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_POINT=${#COMP_LINE}; ' +
      '_georep; printf "%s\\0" "${COMPREPLY[@]}"';
    const r = await execa('bash', ['-c', driver, 'bash', script, line, ...words], {
      env: { PATH: `${binDir}:${process.env['PATH'] ?? ''}`, HOME: tmp, ...env },
      extendEnv: false,
      reject: false,
      cwd: tmp,
    });
    expect(r.exitCode, `${words.join(' ')}: ${r.stderr}`).to.equal(0);
    expect(r.stderr, words.join(' ')).to.equal('');
    return r.stdout === '' ? [] : r.stdout.replace(/\0$/, '').split('\0');
  }

  it('prints a script bash accepts; refuses other shells with one line (exit 2)', async () => {
    const syntax = await execa('bash', ['-n', script], { reject: false });
    expect(syntax.exitCode, syntax.stderr).to.equal(0);
    const zsh = await runGeorep(['completion', 'zsh']);
    expect(zsh.exitCode, describeRun(['completion', 'zsh'], zsh)).to.equal(EXIT.usage);
    expect(zsh.stderr.trimEnd().split('\n')).to.have.length(1);
  });

  it('completes verbs (never the internal ones) and subcommands', async () => {
    const verbs = await complete(['georep', '']);
    expect(verbs).to.include.members(['sync', 'start', 'stop', 'status', 'config', 'completion', 'checkpoint']);
    expect(verbs.filter((v) => v.startsWith('_'))).to.deep.equal([]);
    expect(await complete(['georep', 'st'])).to.have.members(['start', 'stop', 'status']);
    expect(await complete(['georep', 'checkpoint', 's'])).to.have.members(['set', 'status']);
  });

  it('completes each verb options, option values and config keys from the schema', async () => {
    expect(await complete(['georep', 'sync', '--sync-j'])).to.deep.equal(['--sync-jobs']);
    expect(await complete(['georep', 'stop', '--'])).to.have.members(['--workdir', '--help']);
    expect(await complete(['georep', 'start', '--watcher', ''])).to.have.members(['inotify', 'parcel', 'chokidar']);
    expect(await complete(['georep', 'start', '--log-level', '=', 'd'])).to.deep.equal(['debug']);
    expect(await complete(['georep', 'config', '/m', '/s', 'sync-m'])).to.deep.equal(['sync-method']);
    expect(await complete(['georep', 'config', '/m', '/s', 'sync-method', ''])).to.have.members(['rsync', 'tarssh']);
    expect(await complete(['georep', 'config', '/m', '/s', 'ignore-deletes', ''])).to.have.members(['true', 'false']);
    expect(await complete(['georep', 'checkpoint', 'set', '/m', '/s', ''])).to.deep.equal(['now']);
  });

  it('completes the masters of the workdir sessions, then the slaves of the master given', async () => {
    const workdir = path.join(tmp, 'work');
    const master = path.join(tmp, 'data set'); // a space: bash quotes it when inserting
    const other = path.join(tmp, 'other');
    fs.mkdirSync(master);
    fs.mkdirSync(other);
    for (const [m, s] of [
      [master, path.join(tmp, 'backup one')],
      [master, 'host.example:/srv/backup'],
      [other, path.join(tmp, 'elsewhere')],
    ] as const) {
      const args = ['config', m, s, 'sync-jobs', '2', '--workdir', workdir];
      const r = await runGeorep(args);
      expect(r.exitCode, describeRun(args, r)).to.equal(0);
    }
    // How georep names the remote slave: its canonical address (ssh://USER@host.example:22/…).
    const remoteName = listSessionPairs(workdir).find((p) => p.slave.includes('host.example'))?.slave ?? '';
    expect(remoteName).to.match(/^ssh:\/\/[^@]+@host\.example:22\/srv\/backup$/);
    const prefix = path.join(tmp, 'da');
    expect(await complete(['georep', 'stop', '--workdir', workdir, prefix])).to.deep.equal([master]);
    // GEOREP_WORKDIR instead of --workdir; the master typed with a backslash before its space.
    const typed = master.replace(' ', '\\ ');
    const slaves = await complete(['georep', 'stop', typed, ''], { GEOREP_WORKDIR: workdir });
    expect(slaves).to.include.members([path.join(tmp, 'backup one'), remoteName]);
    expect(slaves).to.not.include(path.join(tmp, 'elsewhere'));
    // --workdir=DIR arrives split at '=' (COMP_WORDBREAKS); a remote slave, split at each ':',
    // and bash replaces only what follows the last ':'.
    const user = remoteName.slice('ssh://'.length, remoteName.indexOf('@'));
    const remote = await complete(
      ['georep', 'status', '--workdir', '=', workdir, typed, 'ssh', ':', `//${user}@host.example`, ':', '22/srv/b'],
      {},
      `georep status --workdir=${workdir} ${typed} ssh://${user}@host.example:22/srv/b`,
    );
    expect(remote).to.deep.equal(['22/srv/backup']);
  });
});
