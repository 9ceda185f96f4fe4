// Workdir: --workdir beats $GEOREP_WORKDIR beats the root/XDG default; session folder names are
// stable, readable and private; session values are saved atomically and read back exactly.

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/atomic-file.js';
import { readStartupEnv } from '../../src/cli/env.js';
import { readSessionValues, sessionConfPath, writeSessionValues } from '../../src/cli/session-values.js';
import { SYSTEM_WORKDIR, ensureSessionDir, resolveWorkdir, sessionDirOf, sessionName } from '../../src/cli/workdir.js';
import { GeorepError } from '../../src/errors.js';
import { SESSION_FILES } from '../../src/session-files.js';

const user = (env: Record<string, string> = {}) => readStartupEnv(env, 1000, '/home/u');
const root = (env: Record<string, string> = {}) => readStartupEnv(env, 0, '/root');

describe('cli/workdir', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-workdir-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('resolveWorkdir', () => {
    it('prefers --workdir, then $GEOREP_WORKDIR', () => {
      const env = user({ GEOREP_WORKDIR: '/env/wd' });
      expect(resolveWorkdir('/flag/wd', env)).to.equal('/flag/wd');
      expect(resolveWorkdir(undefined, env)).to.equal('/env/wd');
    });

    it('makes a relative --workdir absolute', () => {
      expect(resolveWorkdir('rel', user())).to.equal(path.resolve('rel'));
    });

    it('defaults to /var/lib/georep for root, even with XDG_STATE_HOME set', () => {
      expect(resolveWorkdir(undefined, root({ XDG_STATE_HOME: '/x' }))).to.equal(SYSTEM_WORKDIR);
    });

    it('defaults to $XDG_STATE_HOME/georep, else ~/.local/state/georep, for other users', () => {
      expect(resolveWorkdir(undefined, user({ XDG_STATE_HOME: '/xdg' }))).to.equal('/xdg/georep');
      expect(resolveWorkdir(undefined, user())).to.equal('/home/u/.local/state/georep');
      expect(resolveWorkdir(undefined, user({ XDG_STATE_HOME: 'relative' }))).to.equal('/home/u/.local/state/georep');
    });

    it('treats an empty GEOREP_WORKDIR as unset', () => {
      expect(resolveWorkdir(undefined, user({ GEOREP_WORKDIR: '' }))).to.equal('/home/u/.local/state/georep');
    });
  });

  describe('session folders', () => {
    it('names a session <master>--<slave>--<12 hex>, stably', () => {
      const name = sessionName('/srv/data', '/backup/copy');
      expect(name).to.match(/^data--copy--[0-9a-f]{12}$/);
      expect(sessionName('/srv/data', '/backup/copy')).to.equal(name);
      expect(sessionName('/srv/data', '/other/copy')).to.not.equal(name);
      expect(sessionName('/srv/dat', 'a/backup/copy')).to.not.equal(name);
    });

    it('keeps names safe and short for odd basenames', () => {
      expect(sessionName('/', '/b')).to.match(/^root--b--/);
      expect(sessionName('/srv/a b\nc', '/x/.hidden')).to.match(/^a_b_c--_hidden--[0-9a-f]{12}$/);
      expect(sessionName(`/srv/${'x'.repeat(300)}`, '/b').length).to.be.lessThan(100);
    });

    it('creates the session folder 0700 with session.json', () => {
      const dir = ensureSessionDir(path.join(tmp, 'wd'), '/srv/data', '/backup/copy');
      expect(dir).to.equal(sessionDirOf(path.join(tmp, 'wd'), '/srv/data', '/backup/copy'));
      expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
      const info: unknown = JSON.parse(fs.readFileSync(path.join(dir, SESSION_FILES.info), 'utf8'));
      expect(info).to.deep.include({ master: '/srv/data', slave: '/backup/copy' });
      expect(ensureSessionDir(path.join(tmp, 'wd'), '/srv/data', '/backup/copy')).to.equal(dir);
    });
  });

  describe('session values', () => {
    it('reads nothing for a session that has no file yet', () => {
      expect(Object.keys(readSessionValues(path.join(tmp, 'none')))).to.deep.equal([]);
    });

    it('round-trips values INI would mangle', () => {
      const values = {
        'rsync-options': '--bwlimit=10 # not a comment; really',
        'ssh-command': 'ssh -oA=b -i "/k ey"',
        checkpoint: '',
        'rsync-command': ' /opt/rsync ',
        'log-level': 'debug',
      };
      writeSessionValues(tmp, values);
      expect({ ...readSessionValues(tmp) }).to.deep.equal(values);
    });

    it('reads plain key=value lines written by hand', () => {
      fs.writeFileSync(sessionConfPath(tmp), '# mine\nsync-jobs = 4\nignore-deletes=true\n');
      expect({ ...readSessionValues(tmp) }).to.deep.equal({ 'sync-jobs': '4', 'ignore-deletes': true });
    });

    it('refuses sections in a session file', () => {
      fs.writeFileSync(sessionConfPath(tmp), '[sync-jobs]\nvalue=4\n');
      expect(() => readSessionValues(tmp))
        .to.throw(GeorepError)
        .with.property('code', 'CONFIG_INVALID');
    });
  });

  describe('writeFileAtomic', () => {
    it('replaces the file and leaves no temp file behind', () => {
      const file = path.join(tmp, 'f.conf');
      fs.writeFileSync(file, 'old\n');
      writeFileAtomic(file, 'new\n');
      expect(fs.readFileSync(file, 'utf8')).to.equal('new\n');
      expect(fs.readdirSync(tmp)).to.deep.equal(['f.conf']);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    });

    it('fails with IO_ERROR and leaves the target intact when the write cannot land', () => {
      const target = path.join(tmp, 'dir.conf');
      fs.mkdirSync(target);
      fs.writeFileSync(path.join(target, 'x'), 'x');
      expect(() => writeFileAtomic(target, 'new\n'))
        .to.throw(GeorepError)
        .with.property('code', 'IO_ERROR');
      expect(fs.readdirSync(target)).to.deep.equal(['x']);
    });
  });
});
