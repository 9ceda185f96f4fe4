// PublishNotifier: the live worker's wake-up when the recorder publishes a changelog. A
// publication made while the worker was busy (not waiting) must wake its next pause at once.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PublishNotifier } from '../../src/master/publish-notifier.js';

/** Resolves once this directory's watch has reported `name` (any other watch on it has too). */
function eventFor(dir: string, name: string): Promise<void> {
  return new Promise((resolve) => {
    const w = fs.watch(dir, (_e, n) => {
      if (n?.toString() !== name) return;
      w.close();
      // Handles on one inotify watch get the event in the same loop turn: let the others run.
      setImmediate(resolve);
    });
  });
}

/** 'woke' when `p` settles within `ms`, else 'waiting'. */
async function within(p: Promise<void>, ms: number): Promise<'woke' | 'waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'waiting'>((r) => (timer = setTimeout(() => r('waiting'), ms)));
  try {
    return await Promise.race([p.then(() => 'woke' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes a changelog as the recorder does: written aside, renamed into place. */
function publish(dir: string, name: string): void {
  fs.writeFileSync(path.join(dir, `.${name}.tmp`), 'GlusterFS Changelog | version: v1.2 | encoding : 2\n');
  fs.renameSync(path.join(dir, `.${name}.tmp`), path.join(dir, name));
}

describe('master/publish-notifier', () => {
  let dir: string;
  let notifier: PublishNotifier;
  let ac: AbortController;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-notifier-'));
    notifier = new PublishNotifier(dir);
    ac = new AbortController();
  });
  afterEach(() => {
    ac.abort();
    notifier.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('wakes a waiting worker when a changelog is published', async () => {
    const woke = notifier.next(ac.signal);
    expect(await within(woke, 50)).to.equal('waiting');
    publish(dir, 'CHANGELOG.1796600245');
    expect(await within(woke, 5000)).to.equal('woke');
  });

  it('wakes the next wait at once for a changelog published while the worker was busy', async () => {
    const seen = eventFor(dir, 'CHANGELOG.1796600245.1');
    publish(dir, 'CHANGELOG.1796600245.1');
    await seen;
    expect(await within(notifier.next(ac.signal), 50)).to.equal('woke');
    // Once: the publication was taken by that wake.
    expect(await within(notifier.next(ac.signal), 50)).to.equal('waiting');
  });

  it('takes the worker removing changelogs it processed for no publication', async () => {
    publish(dir, 'CHANGELOG.1796600246');
    await within(notifier.next(ac.signal), 5000);
    const seen = eventFor(dir, 'CHANGELOG.1796600246');
    fs.rmSync(path.join(dir, 'CHANGELOG.1796600246'));
    await seen;
    expect(await within(notifier.next(ac.signal), 50)).to.equal('waiting');
  });

  it('rejects a wait when its signal aborts', async () => {
    const wait = notifier.next(ac.signal);
    ac.abort(new Error('stopped'));
    let caught: unknown;
    await wait.catch((e: unknown) => (caught = e));
    expect((caught as Error).message).to.equal('stopped');
  });
});
