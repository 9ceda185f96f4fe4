// E2E for the live daemon (`georep start` / `georep stop`): real trees, real watcher, real
// rsync, real processes. The slave must become equal to the master within seconds of each
// change, renames must move slave files (same inode), and no process may outlive `stop`.
// The trees hold the awkward names (leading '#', ';', '-', '..'; newlines, non-UTF-8, 255
// bytes) at the top and deep down, hard-link groups that a small crawl batch splits, and
// symlinks retargeted under the same name (issue 13).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, runGeorep } from '../support/cli.js';
import { alive } from '../support/live-session.js';
import { AWKWARD, buildAwkwardTree, mutate, replaceSymlinkOps, retargetOps } from '../support/tree-builder.js';
import type { MutateOp } from '../support/tree-builder.js';
import { displayPath, joinBytes } from '../support/tree-bytes.js';
import type { RelPath } from '../support/tree-bytes.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';
import { keptSuperset } from '../support/kept-superset.js';
import type { CompareOptions, Difference } from '../support/tree-compare.js';
import type { SessionStatus } from '../../src/master/session-status.js';

/** How long the slave may take to catch up with one round of changes (on a loaded 2-core machine). */
const CONVERGE_MS = 30_000;
const POLL_MS = 100;
/** A whole first sync in crawl batches of 4 records is many rounds: on a loaded 2-core machine, 15 s. */
const FIRST_SYNC_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const KiB = 1024;
/** The awkward tree with small big and sparse files: these tests are about names and links, not volume. */
const awkwardTree = (root: string): void =>
  buildAwkwardTree(root, { bigFileBytes: 256 * KiB, sparseBytes: 2048 * KiB });

const DEEP = AWKWARD.deepDir;

/** Changes to awkward names at the top and deep down, made while the daemon runs. */
const LIVE_AWKWARD_OPS: readonly MutateOp[] = [
  ...retargetOps(AWKWARD.symlinkRoot, AWKWARD.dashDash),
  ...retargetOps(AWKWARD.symlinkDeep, '#far'),
  ...replaceSymlinkOps(AWKWARD.symlinkDangling, 'still/not/there'),
  ...retargetOps(AWKWARD.symlinkNewline, 'line1\nline3'),
  { op: 'rewrite-same-second', path: AWKWARD.hash },
  { op: 'rewrite-keep-mtime', path: AWKWARD.deepSemicolon },
  { op: 'add-file', path: '#new', content: 'new, leading hash\n' },
  { op: 'add-file', path: ';new', content: 'new, leading semicolon\n' },
  { op: 'add-file', path: '..new', content: 'new, leading dot dot\n' },
  { op: 'add-file', path: `${DEEP}/#new deep`, content: 'new deep, leading hash\n' },
  { op: 'add-file', path: '#dir/;sub/#new', content: 'new below #dir\n' },
  { op: 'delete', path: AWKWARD.dotDots },
  { op: 'delete', path: AWKWARD.deepDotDots },
  { op: 'rename', from: AWKWARD.threeDots, to: '..renamed' },
  { op: 'rename', from: AWKWARD.deepDashDash, to: `${DEEP}/--renamed` },
  { op: 'chmod', path: AWKWARD.deepDash, mode: 0o600 },
  { op: 'add-link', existing: AWKWARD.farLinks[0], path: '..far-new' },
  { op: 'add-link', existing: AWKWARD.farLinks[2], path: `${DEEP}/;far-new` },
  { op: 'delete', path: AWKWARD.farLinks[3] },
  // Directories that hold hard-link names move: '#dir' holds one of farLinks.
  { op: 'rename', from: AWKWARD.hashDir, to: '#dir renamed' },
  { op: 'rename', from: AWKWARD.dotDotDir, to: `${DEEP}/..config-moved` },
];

/** Changes to awkward names at the top and deep down, made while the daemon is stopped. */
const STOPPED_AWKWARD_OPS: readonly MutateOp[] = [
  // Same length as the old target ('..dots'): only the target bytes differ.
  ...retargetOps(AWKWARD.symlinkRoot, '..dotz'),
  ...retargetOps(AWKWARD.symlinkDeep, '../../../../..config/inner'),
  ...replaceSymlinkOps(AWKWARD.symlinkToFile, `../${AWKWARD.hash}`),
  { op: 'delete', path: AWKWARD.dotDots },
  { op: 'delete', path: AWKWARD.deepHash },
  { op: 'rewrite-same-second', path: AWKWARD.deepNonUtf8 },
  { op: 'rewrite-keep-mtime', path: AWKWARD.semicolon },
  { op: 'add-file', path: '..new', content: 'new while stopped\n' },
  { op: 'add-link', existing: AWKWARD.hardLinks[0], path: '#hard' },
  // Directories holding hard-link names move, one of them from deep down to the top.
  { op: 'rename', from: AWKWARD.hashDir, to: ';dir' },
  { op: 'rename', from: 'nested/a/b', to: '..b' },
  { op: 'add-file', path: ';dir/#new', content: 'new below the renamed #dir\n' },
];

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** chattr on a slave directory (root only: the tests run as root, as georep's e2e suite does). */
function chattr(flag: '+i' | '-i', dir: Buffer): void {
  execFileSync('chattr', [flag, dir.toString('utf8')]);
}

/** Waits until the slave equals the master; returns ms taken or throws with the differences. */
async function converge(master: string, slave: string, opts: CompareOptions = {}, limitMs = CONVERGE_MS) {
  const start = Date.now();
  // The slave root appears once the worker's agent has started.
  const compare = (): Difference[] => {
    try {
      return compareTrees(master, slave, opts);
    } catch (e) {
      // The slave (or master) changed under the comparison: not settled yet.
      return [{ path: '.', what: 'missing', master, slave: String(e) }];
    }
  };
  let diffs = compare();
  while (diffs.length > 0 && Date.now() - start < limitMs) {
    await sleep(POLL_MS);
    diffs = compare();
  }
  expect(diffs, `slave not equal after ${limitMs} ms:\n${formatDifferences(diffs)}`).to.deep.equal([]);
  return Date.now() - start;
}

describe('e2e: live daemon (georep start/stop)', function () {
  this.timeout(120_000);
  let tmp: string;
  let work: string;
  let master: string;
  let slave: string;
  let extra: string[];
  /** The user the session runs as (runGeorep's uid), when a test sets one. */
  let uid: number | undefined;
  /** Slave directories made immutable by a test: made mutable again in afterEach, whatever happened. */
  const locked: Buffer[] = [];

  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-live-')));
    work = path.join(tmp, 'work');
    master = path.join(tmp, 'master');
    slave = path.join(tmp, 'slave');
    fs.mkdirSync(master);
    extra = [];
    uid = undefined;
  });
  afterEach(async function () {
    for (const dir of locked.splice(0)) chattr('-i', dir);
    const pids = sessionPids();
    if (pids.monitor !== undefined && alive(pids.monitor))
      await runGeorep(['stop', master, slave, '--workdir', work], { uid });
    // Anything of ours still running after stop is a test failure below; here it is cleaned up.
    for (const pid of [pids.monitor, ...pids.children])
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    if (process.env['GEOREP_KEEP_TMP'] === '1' && this.currentTest?.state === 'failed') console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });

  function sessionDir(): string {
    const sessions = path.join(work, 'sessions');
    const [name] = fs.readdirSync(sessions);
    if (name === undefined) throw new Error('no session folder');
    return path.join(sessions, name);
  }

  function sessionPids(): { monitor: number | undefined; children: number[] } {
    try {
      const dir = sessionDir();
      const monitor = Number(fs.readFileSync(path.join(dir, 'monitor.pid'), 'utf8').trim());
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'monitor.json'), 'utf8')) as {
        children: Record<string, number>;
      };
      return { monitor, children: Object.values(state.children) };
    } catch {
      return { monitor: undefined, children: [] };
    }
  }

  async function childPid(name: 'recorder' | 'worker', notPid?: number): Promise<number> {
    const start = Date.now();
    for (;;) {
      try {
        const state = JSON.parse(fs.readFileSync(path.join(sessionDir(), 'monitor.json'), 'utf8')) as {
          children: Record<string, number>;
        };
        const pid = state.children[name];
        if (pid !== undefined && pid !== notPid && alive(pid)) return pid;
      } catch {
        // not written yet
      }
      if (Date.now() - start > CONVERGE_MS) throw new Error(`no running ${name}`);
      await sleep(POLL_MS);
    }
  }

  async function start(): Promise<void> {
    const args = ['start', master, slave, '--workdir', work, ...extra];
    const r = await runGeorep(args, { uid });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
  }

  async function stop(): Promise<void> {
    const before = sessionPids();
    const args = ['stop', master, slave, '--workdir', work];
    const r = await runGeorep(args, { uid });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    for (const pid of [before.monitor, ...before.children]) {
      if (pid !== undefined) expect(alive(pid), `pid ${pid} survived georep stop`).to.equal(false);
    }
  }

  async function geo(...args: string[]): Promise<string> {
    const all = [...args, '--workdir', work];
    const r = await runGeorep(all, { uid });
    expect(r.exitCode, describeRun(all, r)).to.equal(EXIT.ok);
    return r.stdout;
  }

  /** Crawl batches of 4 records (a file's CREATE + D is 2): every directory lands in its own batch. */
  async function smallBatches(): Promise<void> {
    await geo('config', master, slave, 'xsync-changelog-entries', '4');
    await geo('config', master, slave, 'seed-copy', 'false');
  }

  const status = async (): Promise<SessionStatus> =>
    JSON.parse(await geo('status', master, slave, '--json')) as SessionStatus;

  async function until(what: string, ok: () => boolean | Promise<boolean>, limitMs = CONVERGE_MS): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
      await sleep(POLL_MS);
    }
  }

  /** Every name of each master hard-link group is one inode on the slave too. */
  function expectLinked(groups: readonly (readonly RelPath[])[]): void {
    for (const group of groups) {
      const inos = group.map((rel) => fs.lstatSync(joinBytes(slave, rel), { bigint: true }).ino);
      expect(new Set(inos).size, `slave names of one inode: ${group.map(displayPath).join(', ')}`).to.equal(1);
    }
  }

  const w = (rel: string, data: string | Buffer = 'x'): void => {
    fs.mkdirSync(path.dirname(path.join(master, rel)), { recursive: true });
    fs.writeFileSync(path.join(master, rel), data);
  };
  const m = (rel: string): string => path.join(master, rel);
  const s = (rel: string): string => path.join(slave, rel);

  it('replicates every kind of change while running, and a rename moves the slave file', async function () {
    awkwardTree(master);
    w('a/one', 'one');
    w('a/two', 'two');
    w('b/three', 'three');
    await start();
    await converge(master, slave);

    // creates, writes, appends, truncates, chmod, symlinks, hard links, odd names
    w('c/new', 'new');
    fs.appendFileSync(m('a/one'), ' and more');
    fs.truncateSync(m('a/two'), 1);
    fs.chmodSync(m('b/three'), 0o600);
    fs.symlinkSync('../a/one', m('c/link'));
    fs.linkSync(m('a/one'), m('b/one-link'));
    fs.writeFileSync(Buffer.concat([Buffer.from(m('c') + '/'), Buffer.from([0x66, 0xff, 0x0a, 0x6f])]), 'bytes');
    await converge(master, slave);

    // renames: same dir, across dirs, over an existing name, a directory; the slave inode stays
    const inoOf = (p: string): bigint => fs.statSync(p, { bigint: true }).ino;
    const threeIno = inoOf(s('b/three'));
    const dirIno = inoOf(s('c'));
    fs.renameSync(m('b/three'), m('b/THREE'));
    fs.renameSync(m('a/two'), m('b/two'));
    fs.renameSync(m('c'), m('a/c-moved'));
    await converge(master, slave);
    expect(inoOf(s('b/THREE'))).to.equal(threeIno);
    expect(inoOf(s('a/c-moved'))).to.equal(dirIno);

    // a write through a hard link made and removed again between two looks of the recorder
    // (as three shell commands would, the watcher reporting the link first): the look finds
    // nothing at the link's name, and only the inode the watcher saw there (or, had it come too
    // late to see it, a reconcile) names b/two, whose content changed
    fs.linkSync(m('b/two'), m('b/passing-link'));
    await sleep(20);
    fs.appendFileSync(m('b/passing-link'), ' through a passing link');
    fs.unlinkSync(m('b/passing-link'));
    await converge(master, slave);

    // a swap through a temporary name, an editor-style save, deletes
    fs.renameSync(m('b/THREE'), m('b/tmp'));
    fs.renameSync(m('b/two'), m('b/THREE'));
    fs.renameSync(m('b/tmp'), m('b/two'));
    fs.writeFileSync(m('a/.one.swp'), 'saved by an editor');
    fs.renameSync(m('a/.one.swp'), m('a/one'));
    fs.rmSync(m('a/c-moved'), { recursive: true });
    fs.unlinkSync(m('b/one-link'));
    await converge(master, slave);

    // awkward names at the top and deep down: new, rewritten, deleted, renamed, linked, and
    // symlinks retargeted under the same name
    mutate(master, LIVE_AWKWARD_OPS);
    await converge(master, slave);
    expect(fs.readlinkSync(joinBytes(slave, AWKWARD.symlinkRoot), 'utf8')).to.equal(AWKWARD.dashDash);
    await stop();
  });

  it('propagates changes made while stopped (renames as moves, deletes, symlink retargets) after start', async function () {
    awkwardTree(master);
    w('keep/file', 'k');
    w('gone/file', 'g');
    w('moving/file', 'm');
    w('movdir/file', 'in a moved directory');
    await start();
    await converge(master, slave);
    await stop();
    // A renamed directory moves on the slave with what it holds. (A renamed file moves too, but a
    // reconcile also sends its content again: rename(2) moves its ctime as a write would.)
    const ino = fs.statSync(s('movdir/file'), { bigint: true }).ino;
    fs.renameSync(m('movdir'), m('keep/movdir'));
    fs.renameSync(m('moving/file'), m('keep/moved'));
    fs.rmSync(m('gone'), { recursive: true });
    w('keep/file', 'rewritten while stopped');
    w('fresh/dir/file', 'f');
    mutate(master, STOPPED_AWKWARD_OPS);
    await start();
    await converge(master, slave);
    expect(fs.statSync(s('keep/movdir/file'), { bigint: true }).ino).to.equal(ino);
    expect(fs.readlinkSync(joinBytes(slave, AWKWARD.symlinkRoot), 'utf8')).to.equal('..dotz');
    await stop();
  });

  it('keeps deleted files on the slave with ignore-deletes; a new directory or file at the name of a kept directory merges it or keeps it aside', async function () {
    extra = ['--ignore-deletes'];
    awkwardTree(master);
    w('a/file', 'a');
    w('b/file', 'b');
    for (const rel of ['k/a/old', 'k/a/sub/deep', 'k/d/dold', 'k/e/enew', 'k/x/xold']) w(rel, rel);
    await start();
    await converge(master, slave);
    const gone = [AWKWARD.dotDots, AWKWARD.deepDotDots, AWKWARD.hashDirFiles[0], AWKWARD.deepHash] as const;
    const kept = gone.map((rel) => fs.readFileSync(joinBytes(slave, rel)));
    fs.rmSync(m('a/file'));
    mutate(
      master,
      gone.map((rel) => ({ op: 'delete', path: rel })),
    );
    w('c/file', 'c');
    w('#c/..file', 'c');
    await until('new files on the slave', () => fs.existsSync(s('c/file')) && fs.existsSync(s('#c/..file')));
    expect(fs.readFileSync(s('a/file'), 'utf8')).to.equal('a');
    expect(gone.map((rel) => fs.readFileSync(joinBytes(slave, rel)))).to.deep.equal(kept);

    // In one look: rm -rf a; mkdir a; write a/new (MKDIR of a new gfid where the slave keeps a),
    // rm -rf d; mv e d (RENAME of a directory over the kept d), rm -rf x; echo > x (a file there).
    const pre = path.join(tmp, 'pre-k');
    execFileSync('cp', ['-a', '--', s('k'), pre]);
    fs.rmSync(m('k/a'), { recursive: true });
    w('k/a/new', 'new in a');
    fs.rmSync(m('k/d'), { recursive: true });
    fs.renameSync(m('k/e'), m('k/d'));
    fs.rmSync(m('k/x'), { recursive: true });
    w('k/x', 'now a file');
    await until('the new entries on the slave', () =>
      ['k/a/new', 'k/d/enew', 'k/x'].every((rel) => fs.existsSync(s(rel)) && fs.statSync(s(rel)).isFile()),
    );
    // a took over the kept a; the kept d and x are aside, whole.
    const asides = fs
      .readdirSync(s('k'))
      .filter((n) => n.includes('.georep-kept-'))
      .sort();
    expect(asides).to.have.lengthOf(2);
    expect(asides[0]).to.match(/^d\.georep-kept-[0-9a-f]{8}$/);
    expect(asides[1]).to.match(/^x\.georep-kept-[0-9a-f]{8}$/);
    const expected = path.join(tmp, 'expected-k');
    keptSuperset(m('k'), expected, [
      { from: path.join(pre, 'a/old'), rel: 'a/old' },
      { from: path.join(pre, 'a/sub'), rel: 'a/sub' },
      { from: path.join(pre, 'd'), rel: asides[0] as string },
      { from: path.join(pre, 'x'), rel: asides[1] as string },
    ]);
    await converge(expected, s('k'));
    expect(JSON.parse(await geo('failures', master, slave, '--json'))).to.deep.equal([]);
    await stop();
  });

  it('stops with the cause, without a restart loop, when the slave belongs to another master', async function () {
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    const seed = ['sync', '--oneshot', other, slave, '--workdir', path.join(tmp, 'work-other')];
    expect((await runGeorep(seed)).exitCode).to.equal(EXIT.ok);
    w('a/file', 'a');
    const args = ['start', '--foreground', master, slave, '--workdir', work];
    const r = await runGeorep(args, { timeoutMs: 60_000 });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.slave);
    expect(r.stderr, describeRun(args, r)).to.match(/worker stopped for good: .*already bound to master volume/i);
    const state = JSON.parse(fs.readFileSync(path.join(sessionDir(), 'monitor.json'), 'utf8')) as { state: string };
    expect(state.state).to.equal('Faulty');
    expect(r.stderr).to.not.match(/restart/i); // no restart loop (the foreground monitor logs to stderr)
    expect(r.stderr).to.match(/"event":"worker_status","status":"Faulty"/); // the state change, as an event
  });

  it('resumes after a one-shot sync ran between two daemon runs', async function () {
    awkwardTree(master);
    w('a/one', '1');
    await start();
    await converge(master, slave);
    await stop();
    w('a/two', '2');
    fs.rmSync(m('a/one'));
    mutate(master, [
      { op: 'delete', path: AWKWARD.deepDotDots },
      ...retargetOps(AWKWARD.symlinkDeep, '#hash'),
      { op: 'rename', from: AWKWARD.hashDir, to: '..dir' },
    ]);
    const once = ['sync', '--oneshot', master, slave, '--workdir', work];
    const r = await runGeorep(once);
    expect(r.exitCode, describeRun(once, r)).to.equal(EXIT.ok);
    w('b/three', '3');
    fs.renameSync(m('a/two'), m('b/two'));
    mutate(master, [...retargetOps(AWKWARD.symlinkRoot, ';semi'), { op: 'delete', path: AWKWARD.threeDots }]);
    await start();
    await converge(master, slave);
    await stop();
  });

  it('first sync into an empty slave, crawl batches of 4, no seed copy: the awkward tree and every hard-link name arrive', async function () {
    this.timeout(180_000);
    awkwardTree(master);
    await smallBatches();
    await start();
    await converge(master, slave, {}, FIRST_SYNC_MS);
    expectLinked([AWKWARD.hardLinks, AWKWARD.farLinks]);
    await until('Changelog Crawl', async () => (await status()).crawl_status === 'Changelog Crawl', FIRST_SYNC_MS);
    await stop();
  });

  it('a directory renamed while the first hybrid crawl lists the tree arrives whole before a checkpoint completes', async function () {
    this.timeout(180_000);
    for (let i = 0; i < 40; i++) w(`d${i % 10}/f${i}`, `x${i}`);
    w('d8/sub/deep/#hash', 'deep');
    w('d8/..dots', 'dots');
    fs.writeFileSync(joinBytes(m('d8'), Buffer.from('new\nline \xff', 'latin1')), 'odd');
    fs.linkSync(m('d0/f0'), m('d8/hard-link-to-d0-f0'));
    await smallBatches();
    // Slow enough that the rename comes after the root's listing and before d8's.
    await geo('config', master, slave, 'crawl-rate', '25');
    // Set before the crawl starts: it must wait for what the crawl missed, whatever its age.
    await geo('checkpoint', 'set', master, slave, 'now');
    await start();
    await until('Hybrid Crawl', async () => (await status()).crawl_status === 'Hybrid Crawl', FIRST_SYNC_MS);
    fs.renameSync(m('d8'), m('d8new'));
    await until(
      'the checkpoint',
      async () => /completed/.test(await geo('checkpoint', 'status', master, slave)),
      FIRST_SYNC_MS,
    );
    // A completed checkpoint is a promise: the slave holds everything, now, without waiting more.
    const diffs = compareTrees(master, slave);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
    expectLinked([[Buffer.from('d0/f0'), Buffer.from('d8new/hard-link-to-d0-f0')]]);
    await stop();
  });

  it('first sync into an empty slave copies the tree in bulk (seed copy, the default) and adopts it: the awkward tree and every hard link arrive, later changes follow', async function () {
    this.timeout(180_000);
    awkwardTree(master);
    await start();
    await converge(master, slave, {}, FIRST_SYNC_MS);
    expectLinked([AWKWARD.hardLinks, AWKWARD.farLinks]);
    await until('Changelog Crawl', async () => (await status()).crawl_status === 'Changelog Crawl', FIRST_SYNC_MS);
    const logs = fs.readdirSync(path.join(work, 'sessions')).map((d) => path.join(work, 'sessions', d, 'georep.log'));
    const text = logs
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('');
    expect(text, 'the session log').to.match(/seed copy moved into the slave root/);
    w('after-seed/new', 'arrives by changelog');
    await converge(master, slave);
    await stop();
  });

  it('first sync onto a slave pre-seeded with rsync -a (links copied as separate files): they become links again', async function () {
    this.timeout(180_000);
    awkwardTree(master);
    execFileSync('rsync', ['-aS', `${master}/`, `${slave}/`]); // no -H (-S: keep the sparse files sparse)
    const ino = (rel: RelPath): bigint => fs.lstatSync(joinBytes(slave, rel), { bigint: true }).ino;
    expect(ino(AWKWARD.farLinks[0]), 'rsync -a breaks the group').to.not.equal(ino(AWKWARD.farLinks[1]));
    await smallBatches();
    await start();
    await converge(master, slave, {}, FIRST_SYNC_MS);
    expectLinked([AWKWARD.hardLinks, AWKWARD.farLinks]);
    await stop();
  });

  it('a hybrid crawl that meets an entry it cannot land (immutable slave directory) goes live, files it, and lands it once the cause goes', async function () {
    this.timeout(180_000);
    awkwardTree(master);
    execFileSync('rsync', ['-aHS', `${master}/`, `${slave}/`]);
    // After the pre-seed, new names in a directory that is then made immutable on the slave.
    mutate(master, [
      { op: 'add-file', path: `${DEEP}/#blocked`, content: 'cannot land while the slave directory is immutable\n' },
      { op: 'add-link', existing: AWKWARD.hardLinks[0], path: `${DEEP}/;blocked-link` },
      { op: 'add-file', path: '#free', content: 'lands at once\n' },
    ]);
    const lockedDir = joinBytes(slave, DEEP);
    chattr('+i', lockedDir);
    locked.push(lockedDir);
    await smallBatches();
    extra = ['--retry-backoff-max', '2'];
    await start();
    await until('Changelog Crawl', async () => (await status()).crawl_status === 'Changelog Crawl', FIRST_SYNC_MS);
    type Failure = { path: string; code: string; attempts: number };
    const failures = async (): Promise<Failure[]> =>
      JSON.parse(await geo('failures', master, slave, '--json')) as Failure[];
    await until('the blocked entry in the failure ledger', async () =>
      (await failures()).some((f) => f.path === `${DEEP}/#blocked`),
    );
    expect((await failures()).find((f) => f.path === `${DEEP}/#blocked`)?.code).to.equal('EPERM');
    expect(fs.readFileSync(s('#free'), 'utf8')).to.equal('lands at once\n');

    // Other changes keep flowing while the item waits.
    w('..after/#live', 'written after the crawl');
    await until('a later change on the slave', () => fs.existsSync(s('..after/#live')));
    expect(fs.existsSync(s(`${DEEP}/#blocked`))).to.equal(false);
    expect((await status()).worker_status).to.equal('Active');

    chattr('-i', lockedDir);
    locked.length = 0;
    await converge(master, slave);
    await until('an empty failure ledger', async () => (await failures()).length === 0);
    expectLinked([[AWKWARD.hardLinks[0], `${DEEP}/;blocked-link`]]);
    await stop();
  });

  it('as a user other than root: a directory it cannot read is filed as a failure while the rest goes live; once readable, what it held arrives', async function () {
    // One such directory kept the recorder in a restart loop with status Active, and the
    // failure's retry resolved it with the files still missing (one-shot probe, as nobody).
    const NOBODY = 65534;
    uid = NOBODY;
    const asNobody = (): void => {
      if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, tmp]);
    };
    w('sub/ok', 'ok');
    w('locked/deep/x', 'x');
    w('nosearch/sub/y', 'y'); // listed, not searched: the watcher lstat()ed sub and stopped
    asNobody();
    fs.chmodSync(m('locked'), 0o000);
    fs.chmodSync(m('nosearch'), 0o600);
    extra = ['--retry-backoff', '1', '--retry-backoff-max', '2'];
    await start();
    type Failure = { path: string; code: string };
    const failures = async (): Promise<Failure[]> =>
      JSON.parse(await geo('failures', master, slave, '--json')) as Failure[];
    const filed = async (): Promise<boolean> =>
      (await failures()).some((f) => f.path === 'locked' && f.code === 'EACCES');
    await until('the unreadable directory in the failure ledger', filed, FIRST_SYNC_MS);
    w('sub/new', 'new');
    asNobody();
    await until('a later change on the slave', () => fs.existsSync(s('sub/new')));
    expect((await status()).worker_status).to.equal('Active');
    await sleep(3000); // retried meanwhile (backoff 1-2 s): it stays while the directory is unreadable
    expect(await filed(), 'still filed').to.equal(true);
    fs.chmodSync(m('locked'), 0o700);
    fs.chmodSync(m('nosearch'), 0o700);
    await converge(master, slave);
    await until('an empty failure ledger', async () => (await failures()).length === 0);
    await stop();
  });

  it('recovers from kill -9 of the worker, the recorder and the monitor under load', async function () {
    this.timeout(240_000);
    for (let i = 0; i < 50; i++) w(`d${i % 5}/f${i}`, `v0-${i}`);
    await start();
    await converge(master, slave);
    let round = 0;
    const load = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        round++;
        const i = round % 50;
        const f = `d${i % 5}/f${i}`;
        if (fs.existsSync(m(f))) {
          if (round % 7 === 0) fs.renameSync(m(f), m(`d${(i + 1) % 5}/r${round}`));
          else if (round % 11 === 0) fs.rmSync(m(f));
          else fs.appendFileSync(m(f), `+${round}`);
        } else w(f, `new-${round}`);
        await sleep(5);
      }
    };
    // The slave agent: a child of the worker; the worker fails, the monitor restarts it.
    const worker = await childPid('worker');
    const agent = childrenOf(worker).find((pid) => cmdline(pid).includes('agent-main'));
    expect(agent, 'the worker runs a slave agent').to.be.a('number');
    const loadingA = load(2000);
    await sleep(500);
    process.kill(agent as number, 'SIGKILL');
    await loadingA;
    await converge(master, slave, {}, 60_000);
    for (const victim of ['worker', 'recorder'] as const) {
      const pid = await childPid(victim);
      const loading = load(3000);
      await sleep(1000);
      process.kill(pid, 'SIGKILL');
      await loading;
      await childPid(victim, pid); // restarted by the monitor
      await converge(master, slave, {}, 60_000);
    }
    // The monitor itself: its children notice and stop; georep start brings the session back.
    const before = sessionPids();
    const loading = load(2000);
    await sleep(500);
    if (before.monitor !== undefined) process.kill(before.monitor, 'SIGKILL');
    await loading;
    const deadline = Date.now() + CONVERGE_MS;
    while (before.children.some(alive) && Date.now() < deadline) await sleep(POLL_MS);
    expect(before.children.filter(alive), 'children outlived their monitor').to.deep.equal([]);
    await start();
    await converge(master, slave, {}, 60_000);
    await stop();
  });
});
