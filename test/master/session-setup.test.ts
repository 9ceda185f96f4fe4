// Session setup's own decisions, on real files and a real session index: when a slave gets a
// full crawl (first sync, recreated slave, empty index, recover mode) and when its content must
// be re-verified; a corrupt session index quarantined at open, taking the changelogs and crawl
// files it described with it; the master checked; leftover crawl files cleared; a live worker's
// connect to a slave host that does not answer.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { endReverify, reverifying } from '../../src/master/reverify.js';
import { systemClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { resolveSlave } from '../../src/cli/roots.js';
import {
  checkMaster,
  connectSlave,
  decideFullCrawl,
  openSessionIndex,
  prepareSessionDirs,
} from '../../src/master/session-setup.js';
import { SESSION_FILES } from '../../src/session-files.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { codeOf } from '../support/error-code.js';
import { eventLogger } from '../support/event-log.js';
import { silentPort } from '../support/silent-port.js';

describe('master/session-setup', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-session-setup-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('decideFullCrawl', () => {
    let index: SqliteGfidIndex;
    beforeEach(() => {
      index = SqliteGfidIndex.open(':memory:');
    });
    afterEach(() => index.close());
    const decide = (slaveId: string, recover = false) => decideFullCrawl(index, slaveId, recover, eventLogger().log);

    it('crawls fully for a first slave until that full crawl completed, then not while the index has names', () => {
      expect(decide('s1')).to.equal(true);
      index.create('file', 1n, { pargfid: ROOT_GFID, name: Buffer.from('f') });
      // Stopped before it completed (after a seed copy landed, say): the next run is full again.
      expect(decide('s1')).to.equal(true);
      endReverify(index); // what a completed full crawl does
      expect(decide('s1')).to.equal(false);
      expect(decide('s1', true)).to.equal(true); // recover mode
    });

    it('crawls fully and re-verifies when the slave was recreated', () => {
      decide('s1');
      index.create('file', 1n, { pargfid: ROOT_GFID, name: Buffer.from('f') });
      endReverify(index);
      const { log } = eventLogger();
      expect(decideFullCrawl(index, 's2', false, log)).to.equal(true);
      expect(reverifying(index)).to.equal(true);
      expect(index.getMeta('slaveId')).to.equal('s2');
      expect(decide('s2')).to.equal(true);
      endReverify(index);
      expect(decide('s2')).to.equal(false);
    });
  });

  it('quarantines a corrupt session index at open, with the changelogs and crawl files it described', () => {
    const dir = path.join(tmp, 'session');
    for (const d of [SESSION_FILES.changelogs, SESSION_FILES.xsync])
      fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.writeFileSync(path.join(dir, SESSION_FILES.changelogs, 'CHANGELOG.1'), 'E …');
    fs.writeFileSync(path.join(dir, SESSION_FILES.index), Buffer.alloc(8192, 0x5a));
    const index = openSessionIndex(dir, eventLogger().log);
    try {
      expect(index.quarantined).to.not.equal(undefined);
      expect(reverifying(index)).to.equal(true);
      expect(fs.existsSync(path.join(dir, SESSION_FILES.changelogs))).to.equal(false);
      expect(fs.existsSync(path.join(dir, SESSION_FILES.xsync))).to.equal(false);
    } finally {
      index.close();
    }
    const again = openSessionIndex(dir, eventLogger().log);
    try {
      expect(again.quarantined).to.equal(undefined);
    } finally {
      again.close();
    }
  });

  it('checks the master is a folder', () => {
    fs.writeFileSync(path.join(tmp, 'file'), '');
    expect(codeOf(() => checkMaster(tmp))).to.equal(undefined);
    expect(codeOf(() => checkMaster(path.join(tmp, 'file')))).to.equal('MASTER_MISSING');
    expect(codeOf(() => checkMaster(path.join(tmp, 'none')))).to.equal('MASTER_MISSING');
  });

  it('clears leftover crawl files and makes the crawl folder private', () => {
    const leftover = path.join(tmp, SESSION_FILES.xsync, 'XSYNC-CHANGELOG.1');
    fs.mkdirSync(path.dirname(leftover));
    fs.writeFileSync(leftover, '');
    const dirs = prepareSessionDirs(tmp);
    expect(dirs).to.deep.equal({
      xsync: path.join(tmp, SESSION_FILES.xsync),
      stats: path.join(tmp, SESSION_FILES.stats),
    });
    expect(fs.readdirSync(dirs.xsync)).to.deep.equal([]);
    expect(fs.statSync(dirs.xsync).mode & 0o777).to.equal(0o700);
  });

  it('a live worker whose slave host does not answer says so within seconds, not after ssh gives up', async function () {
    this.timeout(20_000);
    const silent = await silentPort(); // as a host gone from the network
    const stop = new AbortController();
    try {
      const { port } = silent;
      const given = `ssh://root@127.0.0.1:${port}${path.join(tmp, 'slave')}`;
      const { slave, name } = resolveSlave(given);
      const sessionDir = path.join(tmp, 'session');
      fs.mkdirSync(sessionDir);
      fs.writeFileSync(path.join(sessionDir, SESSION_FILES.knownHosts), ''); // as ssh-setup leaves it
      const config = resolveConfig([
        { source: 'the test', values: { 'slave-timeout': 30, 'reconnect-probe-interval': 1 } },
      ]);
      const began = Date.now();
      const faulty = new Promise<{ cause: string; afterMs: number }>((resolve) => {
        const connecting = connectSlave(
          { masterRoot: tmp, slaveRoot: name, slave, sessionDir, config, agentCommand: [], log: eventLogger().log },
          stop.signal,
          {
            intervalMs: 1000,
            clock: systemClock,
            onUnreachable: (cause) => resolve({ cause, afterMs: Date.now() - began }),
          },
        );
        connecting.catch(() => undefined); // aborted below
      });
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error('not Faulty within 10 s (ssh alone waits out ConnectTimeout, 30 s)')),
          10_000,
        ),
      );
      const { cause, afterMs } = await Promise.race([faulty, timeout]);
      expect(cause).to.match(
        new RegExp(`127\\.0\\.0\\.1:${port} does not answer; probing 127\\.0\\.0\\.1:${port} until it answers`),
      );
      expect(afterMs).to.be.below(10_000);
    } finally {
      stop.abort();
      silent.close();
    }
  });
});
