// ChangeSource: parcel, chokidar and chokidar polling pass the same behavioural tests on real
// temp trees (hints for create/write/delete/mkdir/rename, nothing after
// close), and turn watcher failures into WATCH_LIMIT / WATCH_FAILED or onOverflow.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AsyncSubscription, SubscribeCallback } from '@parcel/watcher';
import { watch } from 'chokidar';
import type { ChokidarOptions, FSWatcher } from 'chokidar';
import { expect } from 'chai';
import { createChangeSource } from '../../src/changelog/watch/create-change-source.js';
import type {
  ChangeHint,
  ChangeSource,
  ChangeSourceHandlers,
  ChangeSourceOptions,
  HintKind,
} from '../../src/changelog/watch/change-source.js';
import { ChokidarSource } from '../../src/changelog/watch/chokidar-source.js';
import { ParcelSource } from '../../src/changelog/watch/parcel-source.js';
import { InotifySource } from '../../src/changelog/watch/inotify-source.js';
import { GeorepError } from '../../src/errors.js';
import type { WatcherKind } from '../../src/config.js';
import { codeOfAsync } from '../support/error-code.js';

/** How long a hint may take to arrive before the test fails (polling included). */
const WAIT_MS = 3000;
const POLL_MS = 20;

class HintLog implements ChangeSourceHandlers {
  readonly hints: ChangeHint[] = [];
  readonly overflows: string[] = [];
  readonly onHints = (hints: readonly ChangeHint[]): void => {
    this.hints.push(...hints);
  };
  readonly onOverflow = (reason: string): void => {
    this.overflows.push(reason);
  };

  has(kind: HintKind, p: string, since = 0): boolean {
    return this.hints.slice(since).some((h) => h.kind === kind && h.path === p);
  }

  /** Polls until `cond` holds; fails with what arrived so far after WAIT_MS. */
  async until(what: string, cond: () => boolean): Promise<void> {
    const deadline = performance.now() + WAIT_MS;
    while (!cond()) {
      if (performance.now() > deadline) {
        const got = this.hints.map((h) => `${h.kind} ${h.path}`).join(', ');
        throw new Error(`no ${what} within ${WAIT_MS} ms; hints: [${got}]`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async hint(kind: HintKind, p: string, since = 0): Promise<void> {
    await this.until(`${kind} hint for ${p}`, () => this.has(kind, p, since));
  }
}

interface Variant {
  readonly label: string;
  readonly kind: WatcherKind;
  readonly usePolling: boolean;
  /** What the watcher does with a name that is not UTF-8 (see the last shared test). */
  readonly nonUtf8: 'lossy' | 'dropped';
}

const VARIANTS: readonly Variant[] = [
  { label: 'inotify', kind: 'inotify', usePolling: false, nonUtf8: 'lossy' },
  { label: 'parcel', kind: 'parcel', usePolling: false, nonUtf8: 'lossy' },
  { label: 'chokidar', kind: 'chokidar', usePolling: false, nonUtf8: 'dropped' },
  { label: 'chokidar (polling)', kind: 'chokidar', usePolling: true, nonUtf8: 'dropped' },
];

const COOKIE_TIMEOUT_MS = 5000;

/** The inotify source's marker directory: beside the watched root, never inside it. */
function cookieDirOf(root: string): string {
  return `${root}-cookies`;
}

function tempRoot(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-watch-')));
}

for (const v of VARIANTS) {
  describe(`ChangeSource: ${v.label}`, () => {
    let root: string;
    let log: HintLog;
    let sources: ChangeSource[];

    const open = async (handlers: ChangeSourceHandlers): Promise<ChangeSource> => {
      const opts: ChangeSourceOptions = {
        root,
        usePolling: v.usePolling,
        pollIntervalMs: POLL_MS,
        cookieDir: cookieDirOf(root),
        cookieTimeoutMs: COOKIE_TIMEOUT_MS,
      };
      const source = createChangeSource(v.kind, opts);
      sources.push(source);
      await source.start(handlers);
      return source;
    };
    const at = (...parts: string[]): string => path.join(root, ...parts);

    beforeEach(async () => {
      root = tempRoot();
      sources = [];
      log = new HintLog();
      await open(log);
    });

    afterEach(async () => {
      for (const s of sources) await s.close();
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(cookieDirOf(root), { recursive: true, force: true });
      expect(log.overflows).to.deep.equal([]);
    });

    it('reports a new file as create', async () => {
      fs.writeFileSync(at('a.txt'), 'a');
      await log.hint('create', at('a.txt'));
    });

    it('reports a write to an existing file as update', async () => {
      fs.writeFileSync(at('a.txt'), 'a');
      await log.hint('create', at('a.txt'));
      const mark = log.hints.length;
      fs.writeFileSync(at('a.txt'), 'more');
      await log.hint('update', at('a.txt'), mark);
    });

    it('reports a deleted file as delete', async () => {
      fs.writeFileSync(at('a.txt'), 'a');
      await log.hint('create', at('a.txt'));
      fs.unlinkSync(at('a.txt'));
      await log.hint('delete', at('a.txt'));
    });

    it('reports a new directory, then a file created inside it', async () => {
      // Wait for the directory first: parcel adds its watch only after reporting it, and misses
      // a file created before that (the recorder scans new directories for those).
      fs.mkdirSync(at('d'));
      await log.hint('create', at('d'));
      fs.writeFileSync(at('d', 'f'), 'f');
      await log.hint('create', at('d', 'f'));
    });

    it('reports a file rename as delete of the old path and create of the new', async () => {
      fs.writeFileSync(at('old'), 'x');
      await log.hint('create', at('old'));
      const mark = log.hints.length;
      fs.renameSync(at('old'), at('new'));
      await log.until(
        'delete old + create new',
        () => log.has('delete', at('old'), mark) && log.has('create', at('new'), mark),
      );
    });

    it('reports a directory rename as delete of the old path and create of the new', async () => {
      fs.mkdirSync(at('a'));
      await log.hint('create', at('a'));
      fs.writeFileSync(at('a', 'f'), 'x');
      await log.hint('create', at('a', 'f'));
      fs.renameSync(at('a'), at('b'));
      await log.until('delete a + create b', () => log.has('delete', at('a')) && log.has('create', at('b')));
    });

    it('reports the last of two quick writes after it happened', async () => {
      fs.writeFileSync(at('f'), '1');
      await log.hint('create', at('f'));
      let mark = log.hints.length;
      fs.writeFileSync(at('f'), '22');
      await log.hint('update', at('f'), mark);
      // Within chokidar's 50 ms per-path change throttle: only the trailing re-hint reports it.
      mark = log.hints.length;
      fs.writeFileSync(at('f'), '333');
      await log.hint('update', at('f'), mark);
    });

    it('reports nothing after close(), which is idempotent', async () => {
      const source = sources[0] as ChangeSource;
      const witness = new HintLog();
      await open(witness);
      await source.close();
      await source.close();
      const mark = log.hints.length;
      fs.writeFileSync(at('after'), 'x');
      fs.mkdirSync(at('after-dir'));
      await witness.hint('create', at('after'));
      await witness.hint('create', at('after-dir'));
      expect(log.hints.slice(mark)).to.deep.equal([]);
    });

    it(`non-UTF-8 name: ${v.nonUtf8 === 'lossy' ? 'reported with U+FFFD' : 'not reported at all'}`, async () => {
      const name = Buffer.from([0x66, 0xff, 0x6f]);
      fs.writeFileSync(Buffer.concat([Buffer.from(root + '/'), name]), 'x');
      fs.writeFileSync(at('sentinel'), 's');
      await log.hint('create', at('sentinel'));
      const lossy = at('f\uFFFDo');
      if (v.nonUtf8 === 'lossy') {
        await log.hint('create', lossy);
      } else {
        expect(log.hints.filter((h) => h.path.includes('\uFFFD'))).to.deep.equal([]);
      }
    });
  });
}

describe('ChangeSource: start failures and overflow', () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot();
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const opts = (r: string): ChangeSourceOptions => ({
    root: r,
    usePolling: false,
    pollIntervalMs: POLL_MS,
    cookieDir: cookieDirOf(r),
    cookieTimeoutMs: COOKIE_TIMEOUT_MS,
  });

  it('createChangeSource picks the named source', () => {
    expect(createChangeSource('parcel', opts(root)).name).to.equal('parcel');
    expect(createChangeSource('chokidar', opts(root)).name).to.equal('chokidar');
    expect(createChangeSource('inotify', opts(root)).name).to.equal('inotify');
  });

  for (const kind of ['inotify', 'parcel', 'chokidar'] as const) {
    it(`${kind}: a missing root or a file as root is WATCH_FAILED`, async () => {
      fs.writeFileSync(path.join(root, 'file'), 'x');
      for (const r of [path.join(root, 'missing'), path.join(root, 'file')]) {
        const source = createChangeSource(kind, opts(r));
        expect(await codeOfAsync(source.start(new HintLog())), r).to.equal('WATCH_FAILED');
        await source.close();
      }
    });
  }

  /** A stand-in for @parcel/watcher whose subscribe() fails or hands out its callback. */
  const fakeParcel = (fail?: Error) => {
    const state: { cb: SubscribeCallback | undefined; unsubscribed: number } = { cb: undefined, unsubscribed: 0 };
    const api = {
      subscribe: (_dir: string, fn: SubscribeCallback): Promise<AsyncSubscription> => {
        if (fail) return Promise.reject(fail);
        state.cb = fn;
        return Promise.resolve({
          unsubscribe: () => {
            state.unsubscribed++;
            return Promise.resolve();
          },
        });
      },
    };
    return { state, load: () => Promise.resolve(api) };
  };

  it('parcel: the watch limit at subscribe is WATCH_LIMIT (errno ENOSPC), other failures WATCH_FAILED', async () => {
    // The exact text @parcel/watcher 2.6.0 rejects with when inotify_add_watch hits the limit.
    const limit = new Error(`inotify_add_watch on '${root}/d2' failed: No space left on device`);
    const source = new ParcelSource(opts(root), fakeParcel(limit));
    const err = await source.start(new HintLog()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(GeorepError);
    expect((err as GeorepError).code).to.equal('WATCH_LIMIT');
    expect((err as GeorepError).errno).to.equal('ENOSPC');
    const other = new ParcelSource(opts(root), fakeParcel(new Error('Permission denied')));
    expect(await codeOfAsync(other.start(new HintLog()))).to.equal('WATCH_FAILED');
  });

  it('parcel: a callback error is an overflow; empty events are not delivered', async () => {
    const fake = fakeParcel();
    const log = new HintLog();
    const source = new ParcelSource(opts(root), fake);
    await source.start(log);
    const cb = fake.state.cb as SubscribeCallback;
    cb(null, []);
    cb(null, [{ path: path.join(root, 'ignx'), type: 'delete' }]);
    expect(log.hints).to.deep.equal([{ path: path.join(root, 'ignx'), kind: 'delete' }]);
    cb(new Error('Error reading from inotify: Input/output error'), []);
    expect(log.overflows).to.have.length(1);
    await source.close();
    await source.close();
    expect(fake.state.unsubscribed).to.equal(1);
    cb(null, [{ path: path.join(root, 'late'), type: 'create' }]);
    expect(log.hints).to.have.length(1);
  });

  it('parcel: close() resolves after a renamed subtree was deleted (parcel-bundler/watcher#129)', async () => {
    fs.mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
    const log = new HintLog();
    const source = new ParcelSource(opts(root));
    await source.start(log);
    fs.renameSync(path.join(root, 'd'), path.join(root, 'e'));
    await log.hint('create', path.join(root, 'e'));
    fs.rmSync(path.join(root, 'e'), { recursive: true });
    await log.hint('delete', path.join(root, 'e'));
    await source.close();
  });

  /** Real chokidar, with an 'error' emitted on its FSWatcher before or after 'ready'. */
  const chokidarWithError = (when: 'before-ready' | 'after-ready', err: Error) => ({
    watch: (r: string, o: ChokidarOptions): FSWatcher => {
      const w = watch(r, o);
      if (when === 'before-ready') queueMicrotask(() => w.emit('error', err));
      else w.once('ready', () => setImmediate(() => w.emit('error', err)));
      return w;
    },
  });
  const enospc = (): Error =>
    Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${root}/f'`), {
      code: 'ENOSPC',
    });

  it('chokidar: the watch limit before ready is WATCH_LIMIT', async () => {
    const source = new ChokidarSource(opts(root), {}, chokidarWithError('before-ready', enospc()));
    expect(await codeOfAsync(source.start(new HintLog()))).to.equal('WATCH_LIMIT');
    await source.close();
  });

  it('chokidar: the watch limit after ready is an overflow naming the sysctl', async () => {
    const log = new HintLog();
    const source = new ChokidarSource(opts(root), {}, chokidarWithError('after-ready', enospc()));
    await source.start(log);
    await log.until('an overflow', () => log.overflows.length > 0);
    expect(log.overflows[0]).to.include('fs.inotify.max_user_watches');
    await source.close();
  });

  it('chokidar: close() while start() waits for ready settles start()', async () => {
    const source = new ChokidarSource(opts(root));
    const started = source.start(new HintLog());
    await source.close();
    await started;
  });
});

describe('ChangeSource: inotify (marker sync, directories that move or arrive)', () => {
  let root: string;
  let log: HintLog;
  let source: InotifySource;
  const at = (...parts: string[]): string => path.join(root, ...parts);

  beforeEach(async () => {
    root = tempRoot();
    log = new HintLog();
    source = new InotifySource({
      root,
      usePolling: false,
      pollIntervalMs: POLL_MS,
      cookieDir: cookieDirOf(root),
      cookieTimeoutMs: COOKIE_TIMEOUT_MS,
    });
    await source.start(log);
  });
  afterEach(async () => {
    await source.close();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(cookieDirOf(root), { recursive: true, force: true });
  });

  it('sync() resolves only once every change made before it has been handed over, with no wait of its own', async () => {
    for (let i = 0; i < 2000; i++) fs.writeFileSync(at(`f${i}`), 'x');
    await source.sync();
    const got = new Set(log.hints.map((h) => h.path));
    const missing = Array.from({ length: 2000 }, (_, i) => at(`f${i}`)).filter((p) => !got.has(p));
    expect(missing).to.deep.equal([]);
    expect(log.overflows).to.deep.equal([]);
    expect(fs.readdirSync(cookieDirOf(root)), 'markers removed').to.deep.equal([]);
  });

  it('watches a directory tree made at once, and a renamed directory under its new path only', async () => {
    fs.mkdirSync(at('a', 'sub'), { recursive: true });
    await source.sync();
    fs.renameSync(at('a'), at('b'));
    fs.mkdirSync(at('x', 'y', 'z'), { recursive: true });
    await source.sync();
    const mark = log.hints.length;
    fs.writeFileSync(at('b', 'sub', 'late'), 'l');
    fs.writeFileSync(at('x', 'y', 'z', 'late'), 'l');
    await source.sync();
    const after = log.hints.slice(mark).map((h) => h.path);
    expect(after).to.include.members([at('b', 'sub', 'late'), at('x', 'y', 'z', 'late')]);
    expect(
      after.filter((p) => p.startsWith(at('a') + '/')),
      'no hint under the old name',
    ).to.deep.equal([]);
    expect(log.overflows).to.deep.equal([]);
  });

  it('says what its lstat found at each entry event: the inode and link count, nothing, or (in a directory renamed away) no claim', async () => {
    fs.writeFileSync(at('x'), 'x');
    fs.mkdirSync(at('d'));
    await source.sync();
    const x = fs.lstatSync(at('x'), { bigint: true });
    let mark = log.hints.length;
    fs.linkSync(at('x'), at('d', 'n'));
    await source.sync();
    fs.appendFileSync(at('d', 'n'), 'more');
    fs.rmSync(at('d', 'n'));
    await source.sync();
    const got = log.hints.slice(mark).filter((h) => h.path === at('d', 'n'));
    expect(got.map((h) => [h.kind, h.found])).to.deep.equal([
      ['create', { ino: x.ino, nlink: 2n, file: true }],
      ['update', undefined],
      ['delete', null],
    ]);
    // Events in a directory renamed away also come under its old path until the next sync:
    // what is (or is not) at that path says nothing about them.
    fs.renameSync(at('d'), at('e'));
    mark = log.hints.length;
    fs.writeFileSync(at('e', 'm'), 'm');
    await source.sync();
    const moved = log.hints.slice(mark).filter((h) => h.path === at('d', 'm') && h.kind !== 'update');
    expect(moved.map((h) => [h.kind, h.found])).to.deep.equal([['delete', undefined]]);
    const m = fs.lstatSync(at('e', 'm'), { bigint: true });
    const there = log.hints.slice(mark).filter((h) => h.path === at('e', 'm') && h.kind !== 'update');
    expect(there.map((h) => [h.kind, h.found])).to.deep.equal([['create', { ino: m.ino, nlink: 1n, file: true }]]);
  });

  it('reports an overflow when its marker cannot be made, and proves delivery again after', async () => {
    fs.rmSync(cookieDirOf(root), { recursive: true });
    await source.sync();
    expect(log.overflows.join('\n')).to.match(/marker file .* reconciling/);
    fs.writeFileSync(at('again'), 'x');
    await source.sync();
    expect(log.has('create', at('again'))).to.equal(true);
    expect(log.overflows).to.have.length(1);
  });

  it('sync() rejects when stopped before its marker is seen', async () => {
    const ac = new AbortController();
    const pending = source.sync(ac.signal);
    ac.abort(new Error('stopping'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
  });
});
