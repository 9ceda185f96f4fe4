// judgeRemoteCommand: what a restricted session key may run (the agent for its root, rsync into
// the root's state folder), checked on the exact lines the master builds, and refusals for the
// rest.

import { expect } from 'chai';
import { judgeRemoteCommand } from '../../src/slave/gate.js';
import { remoteAgentLine } from '../../src/slave/ssh-link.js';
import { codeOf } from '../support/error-code.js';

const ROOT = `/srv/slave it's $HOME;x`;
const REAL = '/data/slave';

describe('slave gate', function () {
  it("passes the master's agent line for the pinned root, whatever the georep command is", function () {
    const line = remoteAgentLine(
      { remoteGeorep: '/usr/bin/node --import file:///x/loader.mjs /opt/g/main.ts', slaveTimeout: 60 },
      ROOT,
      'debug',
    );
    expect(judgeRemoteCommand(line, ROOT, REAL)).to.deep.equal({
      kind: 'agent',
      root: ROOT,
      logLevel: 'debug',
      idleTimeoutS: 60,
    });
  });

  it('passes rsync into a staging box or the seed folder, made relative for rrsync', function () {
    const box = String.raw`rsync --server -logDtpre.iLsfxCIvu --numeric-ids --no-implied-dirs . /srv/slave\ it\'s\ \$HOME\;x/.georep/staging/b0123456789abcdef/`;
    expect(judgeRemoteCommand(box, ROOT, REAL)).to.deep.equal({
      kind: 'rsync',
      dir: '/data/slave/.georep',
      command: 'rsync --server -logDtpre.iLsfxCIvu --numeric-ids --no-implied-dirs . staging/b0123456789abcdef/',
    });
    const crawl = 'rsync --server -logDtpRSe.LsfxCIvu --stats -@-1 --numeric-ids . /data/slave/.georep/staging/b1/';
    expect(judgeRemoteCommand(crawl, ROOT, REAL)).to.include({
      command: 'rsync --server -logDtpRSe.LsfxCIvu --stats --modify-window=-1 --numeric-ids . staging/b1/',
    });
    const seed = 'rsync --server -logDtpHSre.iLsfxCIvu . /data/slave/.georep/seed/';
    expect(judgeRemoteCommand(seed, ROOT, REAL)).to.include({
      kind: 'rsync',
      command: 'rsync --server -logDtpHSre.iLsfxCIvu . seed/',
    });
  });

  const refused: readonly (readonly [string, string | undefined])[] = [
    ['an interactive login', undefined],
    ['an empty command', ''],
    ['a shell command', 'cat /etc/passwd'],
    ['a chained command', `georep slave -- '${ROOT}'; id`],
    ['the agent for another root', 'georep slave --log-level info -- /other/root'],
    ['the agent for a path under the root', `georep slave -- '${ROOT}/sub'`],
    ['the agent with a log file', `georep slave --log-file /etc/cron.d/x -- '${ROOT}'`],
    ['the agent without --', `georep slave '${ROOT}'`],
    ['rsync outside the root', 'rsync --server -logDtpre.iLsfxCIvu . /etc/'],
    ['rsync into the slave tree itself', 'rsync --server -logDtpre.iLsfxCIvu . /data/slave/docs/'],
    ['rsync into the state folder itself', 'rsync --server -logDtpre.iLsfxCIvu . /data/slave/.georep/'],
    [
      'rsync escaping the state folder by ..',
      'rsync --server -logDtpre.iLsfxCIvu . /data/slave/.georep/staging/../../../etc/',
    ],
    ['rsync as a sender', 'rsync --server --sender -logDtpre.iLsfxCIvu . /data/slave/.georep/seed/'],
    ['rsync with --protect-args', 'rsync --server -slogDtpre.iLsfxCIvu . /data/slave/.georep/seed/'],
    ['rsync with two destinations', 'rsync --server -logDtpre.iLsfxCIvu . /data/slave/.georep/seed/ /etc/'],
    ['rsync with a quoted option', `rsync --server '--log-file=a b' . /data/slave/.georep/seed/`],
    ['tar', `tar -C /data/slave/.georep/staging/b0 -x -f - --numeric-owner`],
    ['scp', 'scp -t /tmp'],
  ];
  for (const [what, line] of refused) {
    it(`refuses ${what}`, function () {
      expect(codeOf(() => judgeRemoteCommand(line, ROOT, REAL))).to.equal('GATE_REFUSED');
    });
  }
});
