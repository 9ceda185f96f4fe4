// `georep service install` and the template unit: systemd-analyze verify accepts the shipped
// template and what install writes (into a temp --root), the unit stops and restarts as the
// issue asks, and the env file reads back, by the shell rules systemd documents for it, as given.

import { expect } from 'chai';
import { execa } from 'execa';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes.js';
import { quoteExecArg, renderEnvFile, renderUnit } from '../../src/cli/systemd-unit.js';
import { describeRun, repoRoot, runGeorep } from '../support/cli.js';
import { codeOf } from '../support/error-code.js';

/**
 * systemd-analyze verify on an instance of the template in `dir` (drop-ins beside it are read
 * too). --man=no: georep's man page is not installed on this machine, so Documentation= would
 * fail the check.
 */
async function verify(dir: string, instance = 'georep@test.service'): Promise<{ code: number; out: string }> {
  const r = await execa('systemd-analyze', ['verify', '--man=no', `./${instance}`], {
    cwd: dir,
    reject: false,
    all: true,
  });
  return { code: r.exitCode ?? -1, out: r.all };
}

/** Key=value lines of a unit (comments dropped), for assertions. */
function directives(unit: string): string[] {
  return unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
}

describe('cli/service (systemd)', function () {
  this.timeout(60_000);
  let tmp: string;
  let root: string;
  let master: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-service-'));
    root = path.join(tmp, 'root');
    master = path.join(tmp, 'data $et "q" `b` \\ x'); // what a path may hold, and systemd must keep
    fs.mkdirSync(master);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const unitDir = (): string => path.join(root, 'etc', 'systemd', 'system');
  const install = (...args: string[]) => runGeorep(['service', 'install', ...args, '--root', root]);

  it('ships a template systemd-analyze verify accepts, which stops, restarts and logs as promised', async () => {
    const dir = path.join(tmp, 'units');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(repoRoot, 'systemd', 'georep@.service'), path.join(dir, 'georep@.service'));
    const r = await verify(dir);
    expect(r, r.out).to.deep.equal({ code: 0, out: '' });
    const unit = directives(fs.readFileSync(path.join(dir, 'georep@.service'), 'utf8'));
    expect(unit).to.include.members([
      'Type=simple',
      'EnvironmentFile=/etc/georep/%i.env',
      'ExecStart=/usr/bin/env georep start --foreground ${GEOREP_MASTER} ${GEOREP_SLAVE}',
      'ExecStop=-/usr/bin/env georep stop ${GEOREP_MASTER} ${GEOREP_SLAVE}',
      'KillMode=control-group',
      'Restart=on-failure',
      'StartLimitBurst=5',
      'RestartPreventExitStatus=2 3 5',
      'SyslogIdentifier=georep',
      'NotifyAccess=all',
      'NoNewPrivileges=yes',
      'ProtectSystem=full',
    ]);
    // PrivateTmp would hide the status socket (/tmp/georep-UID) from georep status.
    expect(unit.filter((l) => l.startsWith('PrivateTmp='))).to.deep.equal([]);
    // TimeoutStopSec above georep stop's own wait (stop-timeout default + 5 s grace).
    const stopTimeout = /\[stop-timeout\]\nvalue=(\d+)/.exec(
      fs.readFileSync(path.join(repoRoot, 'conf', 'georep.conf'), 'utf8'),
    );
    const timeout = Number(unit.find((l) => l.startsWith('TimeoutStopSec='))?.split('=')[1]);
    expect(timeout).to.be.greaterThan(Number(stopTimeout?.[1]) + 5);
  });

  it('installs a session: the unit runs this georep, NAME.env names the session, systemd accepts both', async () => {
    const slave = path.join(tmp, 'backup');
    const r = await install('web', master, slave);
    expect(r.exitCode, describeRun(['service', 'install'], r)).to.equal(0);
    expect(r.stdout).to.include('systemctl daemon-reload && systemctl enable --now georep@web');
    const unit = fs.readFileSync(path.join(unitDir(), 'georep@.service'), 'utf8');
    expect(unit).to.match(
      new RegExp(
        `^ExecStart=${escapeRe(quoteExecArg(process.execPath))} .* start --foreground \\$\\{GEOREP_MASTER\\} \\$\\{GEOREP_SLAVE\\}$`,
        'm',
      ),
    );
    expect(unit).to.match(/^ExecStop=-\S+ .* stop \$\{GEOREP_MASTER\} \$\{GEOREP_SLAVE\}$/m);
    const v = await verify(unitDir(), 'georep@web.service');
    expect(v, v.out).to.deep.equal({ code: 0, out: '' });
    // systemd reads the env file with POSIX shell rules for double quotes (systemd.exec(5)).
    const env = await execa(
      'sh',
      [
        '-c',
        'set -a; . "$1"; printf "%s\\0%s\\0" "$GEOREP_MASTER" "$GEOREP_SLAVE"',
        'sh',
        path.join(root, 'etc', 'georep', 'web.env'),
      ],
      { env: {}, extendEnv: false },
    );
    expect(env.stdout.split('\0').slice(0, 2)).to.deep.equal([fs.realpathSync(master), slave]);
  });

  it('runs the session as --user (and --group) through a drop-in, and as root again without', async () => {
    const slave = path.join(tmp, 'backup');
    const dropIn = path.join(unitDir(), 'georep@web.service.d', 'user.conf');
    const r = await install(
      'web',
      master,
      slave,
      '--user',
      'daemon',
      '--group',
      'daemon',
      '--workdir',
      path.join(tmp, 'w'),
    );
    expect(r.exitCode, describeRun(['service', 'install'], r)).to.equal(0);
    expect(directives(fs.readFileSync(dropIn, 'utf8'))).to.deep.equal(['User=daemon', 'Group=daemon']);
    expect(fs.readFileSync(path.join(root, 'etc', 'georep', 'web.env'), 'utf8')).to.include(
      `GEOREP_WORKDIR="${path.join(tmp, 'w')}"`,
    );
    const v = await verify(unitDir(), 'georep@web.service');
    expect(v, v.out).to.deep.equal({ code: 0, out: '' });
    const again = await install('web', master, slave, '--workdir', path.join(tmp, 'w'));
    expect(again.exitCode, describeRun(['service', 'install'], again)).to.equal(0);
    expect(fs.existsSync(dropIn)).to.equal(false);
  });

  it('never replaces another session of the same NAME without --force; refuses bad names with one line', async () => {
    const slave = path.join(tmp, 'backup');
    expect((await install('web', master, slave)).exitCode).to.equal(0);
    expect((await install('web', master, slave)).exitCode).to.equal(0); // the same again: fine
    const other = path.join(tmp, 'other');
    const refused = await install('web', master, other);
    expect(refused.exitCode, describeRun(['service', 'install'], refused)).to.equal(EXIT.usage);
    expect(refused.stderr.trimEnd().split('\n')).to.have.length(1);
    expect(fs.readFileSync(path.join(root, 'etc', 'georep', 'web.env'), 'utf8')).to.include(slave);
    expect((await install('web', master, other, '--force')).exitCode).to.equal(0);
    for (const bad of [
      ['../x', master, slave],
      ['-x', master, slave],
      ['ok', master, `${slave}\nx`],
    ]) {
      const r = await install(...bad);
      expect(r.exitCode, describeRun(['service', 'install', ...bad], r)).to.equal(EXIT.usage);
    }
  });

  it('quotes ExecStart words so systemd runs the right program: blanks, %, $, quotes', async () => {
    expect(quoteExecArg('/usr/bin/node')).to.equal('/usr/bin/node');
    expect(quoteExecArg('50%')).to.equal('50%%');
    expect(quoteExecArg('$HOME')).to.equal('$$HOME');
    expect(quoteExecArg('a b"c\\')).to.equal('"a b\\"c\\\\"');
    expect(codeOf(() => quoteExecArg('a\nb'))).to.equal('USAGE');
    expect(codeOf(() => renderEnvFile('h', { K: 'a\nb' }))).to.equal('USAGE');
    // A node whose path has a blank and a '%': systemd-analyze finds it only if the quoting is right.
    const dir = path.join(tmp, 'units');
    const bin = path.join(tmp, 'my node 100%');
    fs.mkdirSync(dir);
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.writeFileSync(path.join(dir, 'georep@.service'), renderUnit([path.join(bin, 'node'), '/x/main.js']));
    const r = await verify(dir);
    expect(r, r.out).to.deep.equal({ code: 0, out: '' });
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
