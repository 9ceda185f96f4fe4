// A live first sync's seed copy and the recorder's watch, in one process with real parts: the
// worker (runLive, with a real agent subprocess) and the recorder (runRecorderProcess, inotify)
// share a session folder as the daemon's children do. The copy must not read the master before
// the recorder watches it: a rewrite that puts size and mtime back after the read would then
// reach neither the changelogs nor the crawl's size-and-mtime adoption.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { systemClock } from '../../src/clock.js';
import { runRecorderProcess } from '../../src/changelog/recorder/recorder-process.js';
import { RECORDER_KEYS } from '../../src/changelog/recorder/recorder.js';
import { runLive } from '../../src/master/live.js';
import { openSessionIndex } from '../../src/master/session-setup.js';
import { parseWatchMark, waitForWatch } from '../../src/master/recorder-wait.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { untilTreesEqual } from '../support/tree-compare.js';
import { inProcessSession } from '../support/inprocess-session.js';
import { messageLogger } from '../support/message-log.js';

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('master/live: the seed copy waits for the recorder watch', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-seed-watch-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a file rewritten with its size and mtime put back before the recorder watches arrives with its new content', async function () {
    const { master, slaveRoot, sessionDir, base } = inProcessSession(tmp, { 'change-interval': 1 });
    fs.mkdirSync(path.join(master, 'deep', 'er'), { recursive: true });
    const files = ['f', 'deep/er/#g'].map((p) => path.join(master, p));
    const mtime = new Date('2020-02-02T02:02:02Z');
    for (const f of files) {
      fs.writeFileSync(f, 'old content');
      fs.utimesSync(f, mtime, mtime);
    }
    const messages: string[] = [];
    const worker = { log: messageLogger((m) => messages.push(m)), messages };
    const stop = new AbortController();
    const live = runLive({
      ...base,
      log: worker.log,
      signal: stop.signal,
      checkpointTargetMs: () => undefined,
    });
    let recording: Promise<void> | undefined;
    try {
      // The worker greeted the agent and waits for the recorder (the old code copied first).
      await until('the worker to wait for the recorder', () =>
        worker.messages.some((m) => m.startsWith('waiting for the recorder')),
      );
      await until('a copy, if one started', () => fs.existsSync(path.join(slaveRoot, 'f')), 1500).catch(
        () => undefined,
      );
      for (const f of files) {
        fs.writeFileSync(f, 'NEW content');
        fs.utimesSync(f, mtime, mtime);
      }
      recording = runRecorderProcess({
        masterRoot: master,
        sessionDir,
        config: base.config,
        openIndex: () => openSessionIndex(sessionDir, worker.log, systemClock),
        clock: systemClock,
        log: messageLogger(),
        signal: stop.signal,
      });
      await untilTreesEqual(master, slaveRoot, 30_000);
    } finally {
      stop.abort();
      await live.catch(() => undefined);
      await recording?.catch(() => undefined);
    }
  });

  it('waitForWatch: a mark of a process that is gone promises nothing; a built index needs none', async function () {
    const index = SqliteGfidIndex.open(':memory:');
    const messages: string[] = [];
    const log = messageLogger((m) => messages.push(m));
    let history: number | undefined;
    const deps = {
      index,
      consumer: { historyStartMs: () => history },
      clock: systemClock,
      log,
      signal: new AbortController().signal,
      alive: (pid: number) => pid === 42,
    };
    index.setMeta(RECORDER_KEYS.watching, '41:1000');
    const waiting = waitForWatch(deps);
    await until('the wait to be logged', () => messages.length > 0);
    index.setMeta(RECORDER_KEYS.watching, '42:2000');
    const mark = await waiting;
    expect(mark).to.deep.equal({ pid: 42, sinceMs: 2000 });
    history = 5;
    index.deleteMeta(RECORDER_KEYS.watching);
    expect(await waitForWatch(deps)).to.equal(undefined);
    expect(parseWatchMark('x:1')).to.equal(undefined);
    index.close();
  });
});
