// Re-verify mark in a real session index (SQLite in memory): set after an index rebuild with
// its reason, read by the crawl, cleared only by a completed full crawl, and a no-op to clear
// when absent. (The e2e corrupt-state test shows its effect: a rewrite with size and mtime put
// back still reaches the slave after a rebuild.) And its use by a first sync stopped after its
// seed copy landed, with one-shot runs in process and a real agent.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runOneshot } from '../../src/master/oneshot.js';
import { SESSION_FILES } from '../../src/session-files.js';
import { inProcessSession } from '../support/inprocess-session.js';
import { messageLogger } from '../support/message-log.js';
import { assertTreesEqual } from '../support/tree-compare.js';
import { endReverify, REVERIFY_KEY, reverifying, startReverify } from '../../src/master/reverify.js';
import { SqliteGfidIndex } from '../../src/store/index.js';

describe('master/reverify', () => {
  let index: SqliteGfidIndex;
  beforeEach(() => {
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => index.close());

  it('is off until started, on (with its reason kept) until ended', () => {
    expect(reverifying(index)).to.equal(false);
    startReverify(index, 'slave index rebuilt');
    expect(reverifying(index)).to.equal(true);
    expect(index.getMeta(REVERIFY_KEY)).to.equal('slave index rebuilt');
    endReverify(index);
    expect(reverifying(index)).to.equal(false);
    endReverify(index);
    expect(reverifying(index)).to.equal(false);
  });

  it('a first sync stopped after its seed copy landed is finished by the next run: a stale copy is sent, an extra one purged', async function () {
    this.timeout(60_000);
    const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-reverify-')));
    try {
      const { master, slaveRoot, sessionDir, base } = inProcessSession(tmp);
      fs.mkdirSync(path.join(master, 'd'));
      const f = path.join(master, 'd', 'f');
      const mtime = new Date('2020-02-02T02:02:02Z');
      fs.writeFileSync(f, 'old content');
      fs.utimesSync(f, mtime, mtime);
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(master, 'd', `other${i}`), 'x');
      const stop = new AbortController();
      // Ctrl-C (or a dropped link) just after the copy landed, before the crawl adopted it.
      const log = messageLogger((m) => {
        if (m === 'seed copy done') stop.abort();
      });
      await runOneshot({ ...base, signal: stop.signal, log }).catch(() => undefined);
      expect(fs.readFileSync(path.join(slaveRoot, 'd', 'f'), 'utf8')).to.equal('old content');
      fs.writeFileSync(f, 'NEW content'); // size and mtime put back (cp -p, rsync -a, tar x)
      fs.utimesSync(f, mtime, mtime);
      fs.rmSync(path.join(master, 'd', 'other7'));
      const next = await runOneshot({ ...base, log: messageLogger() });
      expect(next.failures).to.deep.equal([]);
      assertTreesEqual(master, slaveRoot);
      const after = SqliteGfidIndex.open(path.join(sessionDir, SESSION_FILES.index));
      expect(reverifying(after)).to.equal(false); // the full crawl completed
      after.close();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
