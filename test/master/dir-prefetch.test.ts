// The one-shot's directory prefetch end to end, in process with a real agent: what a run that
// skipped directories by their prefetched listing claims. Its stime must not pass a change made
// after the listing (the crawl did not see it): the next run sends it. The crawler's use of a
// prefetch is in crawler.test.ts ("with directories listed ahead").

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runOneshot } from '../../src/master/oneshot.js';
import { SESSION_FILES } from '../../src/session-files.js';
import { SqliteGfidIndex, readStime } from '../../src/store/index.js';
import { inProcessSession } from '../support/inprocess-session.js';
import { messageLogger } from '../support/message-log.js';

describe('master/dir-prefetch: a one-shot run that listed ahead', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-prefetch-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('sets no stime past a change made after the listing, and the next run sends it', async () => {
    const { master, slaveRoot, sessionDir, base } = inProcessSession(tmp);
    fs.mkdirSync(path.join(master, 'd'));
    const f = path.join(master, 'd', 'f');
    fs.writeFileSync(f, 'old content');
    expect((await runOneshot({ ...base, log: messageLogger(() => undefined) })).failures).to.deep.equal([]);
    await runOneshot({ ...base, log: messageLogger(() => undefined) }); // stores the digests
    // The next run lists ahead while its agent starts; the change comes after that listing.
    let changedMs = 0;
    const second = await runOneshot({
      ...base,
      log: messageLogger((m) => {
        if (m !== 'slave agent ready' || changedMs !== 0) return;
        fs.writeFileSync(f, 'NEW content, longer');
        changedMs = Number(fs.statSync(f, { bigint: true }).ctimeNs / 1_000_000n);
      }),
    });
    expect(changedMs).to.be.above(0);
    expect(second.failures).to.deep.equal([]);
    const stimeOf = (): number | undefined => {
      const index = SqliteGfidIndex.open(path.join(sessionDir, SESSION_FILES.index));
      try {
        return readStime(index);
      } finally {
        index.close();
      }
    };
    // Either the run sent the change, or its stime does not claim it.
    const content = fs.readFileSync(path.join(slaveRoot, 'd', 'f'), 'utf8');
    if (content !== 'NEW content, longer') expect(stimeOf()).to.be.at.most(changedMs);
    await runOneshot({ ...base, log: messageLogger(() => undefined) });
    expect(fs.readFileSync(path.join(slaveRoot, 'd', 'f'), 'utf8')).to.equal('NEW content, longer');
  });
});
