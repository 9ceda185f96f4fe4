// The recorder process body: with the session's options it makes the changelog folder, watches
// the master with the configured watcher and publishes what changes there; it opens the index
// once and closes it however the run ends (stopped, or failed).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { systemClock } from '../../../src/clock.js';
import { listChangelogs, readChangelog } from '../../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../../src/store/index.js';
import { ChangelogConsumer } from '../../../src/changelog/consumer.js';
import { runRecorderProcess } from '../../../src/changelog/recorder/recorder-process.js';
import type { RecorderProcessOptions } from '../../../src/changelog/recorder/recorder-process.js';
import { resolveConfig } from '../../../src/cli/config-loader.js';
import { loadSchema } from '../../../src/cli/options.js';
import { silentLogger } from '../../../src/log.js';
import { SESSION_FILES } from '../../../src/session-files.js';
import { codeOfAsync } from '../../support/error-code.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const OWNER_ONLY_DIR = 0o700;

describe('changelog/recorder/recorder-process', function () {
  this.timeout(20_000);
  let tmp: string;
  let master: string;
  let sessionDir: string;
  let opened: number;
  let closed: number;

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-recproc-')));
    master = path.join(tmp, 'master');
    sessionDir = path.join(tmp, 'session');
    fs.mkdirSync(master);
    fs.mkdirSync(sessionDir);
    fs.writeFileSync(path.join(master, 'old'), 'old');
    opened = 0;
    closed = 0;
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Opens a fresh index on the session's file, counting opens and closes. */
  function openIndex(): SqliteGfidIndex {
    opened++;
    const index = SqliteGfidIndex.open(path.join(sessionDir, SESSION_FILES.index));
    const close = index.close.bind(index);
    index.close = () => {
      closed++;
      close();
    };
    return index;
  }

  const options = (signal: AbortSignal): RecorderProcessOptions => ({
    masterRoot: master,
    sessionDir,
    config: resolveConfig([], loadSchema()),
    openIndex,
    clock: systemClock,
    log: silentLogger(),
    signal,
  });

  it('publishes what changes on the master in the session changelog folder, and closes the index when stopped', async () => {
    const ac = new AbortController();
    const running = runRecorderProcess(options(ac.signal));
    const changelogs = path.join(sessionDir, SESSION_FILES.changelogs);
    const consumerIndex = SqliteGfidIndex.open(path.join(sessionDir, SESSION_FILES.index));
    try {
      // The first start builds the index silently; changes after it are published.
      const deadline = Date.now() + 10_000;
      while (!(
        fs.existsSync(changelogs) && new ChangelogConsumer(changelogs, consumerIndex).historyStartMs() !== undefined
      )) {
        if (Date.now() > deadline) throw new Error('the recorder did not start its history');
        await sleep(20);
      }
      fs.writeFileSync(path.join(master, 'new'), 'new');
      let creates = 0;
      while (creates === 0 && Date.now() < deadline) {
        creates = listChangelogs(changelogs, 'CHANGELOG')
          .flatMap((f) => readChangelog(f.path))
          .filter((c) => c.kind === 'E' && c.fop === 'CREATE').length;
        if (creates === 0) await sleep(50);
      }
      expect(creates, 'CREATE records published').to.equal(1);
      expect(fs.statSync(changelogs).mode & 0o777).to.equal(OWNER_ONLY_DIR);
    } finally {
      consumerIndex.close();
      ac.abort();
      await running;
    }
    expect([opened, closed]).to.deep.equal([1, 1]);
  });

  it('closes the index when the run fails', async () => {
    fs.rmSync(master, { recursive: true });
    expect(await codeOfAsync(runRecorderProcess(options(new AbortController().signal)))).to.equal('WATCH_FAILED');
    expect([opened, closed]).to.deep.equal([1, 1]);
  });
});
