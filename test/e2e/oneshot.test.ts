// E2E for `georep sync --oneshot`: real trees, real rsync, a real slave agent. Exit 0 must
// mean the slave mirrors the master (tree-compare); re-runs converge and touch nothing that is
// already right; errors are one line with the path and no stack.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, georepCommand, runGeorep } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { joinBytes, setTimesNs } from '../support/tree-bytes.js';
import { AWKWARD, buildAwkwardTree, makeSocket, mutate } from '../support/tree-builder.js';
import type { MutateOp } from '../support/tree-builder.js';
import { assertTreesEqual, compareTrees } from '../support/tree-compare.js';
import { keptSuperset } from '../support/kept-superset.js';
import { diffSnapshots, snapshotTree } from '../support/tree-walk.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const OLD_ATIME = { sec: 1_000_000_000, nsec: 0 };

/** The awkward tree with small big/sparse files, for tests about behaviour rather than volume. */
const smallTree = (root: string): void => buildAwkwardTree(root, { bigFileBytes: 256 * KiB, sparseBytes: 2 * MiB });

/** Bytes from the summary's "(12.3 KiB sent)" (src/cli/summary.ts). */
function bytesSent(r: RunResult): number {
  const m = /\(([\d.]+) (B|KiB|MiB|GiB|TiB) sent\)/.exec(`${r.stdout}\n${r.stderr}`);
  expect(m, `no "(N unit sent)" in the summary:\n${r.stdout}`).not.to.equal(null);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  return Number(m?.[1]) * 1024 ** units.indexOf(m?.[2] ?? 'B');
}

/** Whether reading a file moves its atime here (false on noatime mounts). */
function atimeMovesOnRead(dir: string): boolean {
  const probe = path.join(dir, 'atime-probe');
  fs.writeFileSync(probe, 'probe');
  setTimesNs(Buffer.from(probe), OLD_ATIME, 'atime');
  fs.readFileSync(probe);
  const moved = fs.statSync(probe, { bigint: true }).atimeNs !== 1_000_000_000n * 1_000_000_000n;
  fs.unlinkSync(probe);
  return moved;
}

/** Changes of every kind a re-run must carry over, on the awkward tree. */
const CONVERGE_OPS: readonly MutateOp[] = [
  { op: 'delete', path: AWKWARD.space },
  { op: 'delete', path: 'nested/a/b' },
  { op: 'rename', from: AWKWARD.dash, to: 'renamed -rf' },
  { op: 'rename', from: AWKWARD.mode0755, to: 'nested/a/m0755-moved' },
  { op: 'rename', from: 'links', to: 'links renamed' },
  { op: 'rename', from: AWKWARD.nonUtf8Dir, to: Buffer.from([0xfe, 0xff, 0x2d, 0x64]) },
  { op: 'replace-dir-with-file', path: AWKWARD.emptyDir, content: 'was a directory\n' },
  { op: 'replace-file-with-dir', path: AWKWARD.percent },
  { op: 'rewrite-same-second', path: AWKWARD.hardLinks[0] },
  { op: 'rewrite-same-second', path: AWKWARD.long255Multibyte },
  { op: 'rewrite-keep-mtime', path: AWKWARD.nonUtf8File },
  { op: 'rewrite-keep-mtime', path: AWKWARD.big },
  { op: 'chmod', path: AWKWARD.mode0444, mode: 0o640 },
  { op: 'chmod', path: AWKWARD.privateDir, mode: 0o750 },
  { op: 'delete', path: 'links renamed/dangling' },
  { op: 'add-symlink', path: 'links renamed/dangling', target: 'elsewhere/now' },
  { op: 'add-link', existing: AWKWARD.hardLinks[1], path: 'hard/four' },
  { op: 'add-file', path: 'new/dir/deep/file.txt', content: 'fresh\n' },
  { op: 'add-file', path: Buffer.from([0x6e, 0xfe, 0x0a, 0x74]), content: 'non-UTF-8 + newline\n', mode: 0o600 },
  { op: 'add-dir', path: 'new/empty' },
];

/** The one error line: exactly one line, naming `p`, no stack frame. */
function expectOneLineError(r: RunResult, p: string, args: readonly string[]): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, describeRun(args, r)).to.have.lengthOf(1);
  expect(lines[0], describeRun(args, r)).to.include(p);
  expect(r.stderr, describeRun(args, r)).not.to.match(/^\s+at /m);
}

describe('e2e: georep sync --oneshot', function () {
  this.timeout(60_000);
  let tmp: string;
  let work: string;
  let master: string;
  let slave: string;

  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-e2e-')));
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-e2e-work-')));
    master = path.join(tmp, 'master');
    slave = path.join(tmp, 'slave');
  });
  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  interface SyncArgs {
    readonly from?: string;
    readonly to?: string;
    readonly workdir?: string;
    readonly flags?: readonly string[];
  }
  const sync = async (a: SyncArgs = {}): Promise<{ args: string[]; r: RunResult }> => {
    const args = [
      'sync',
      '--oneshot',
      a.from ?? master,
      a.to ?? slave,
      '--workdir',
      a.workdir ?? work,
      ...(a.flags ?? []),
    ];
    return { args, r: await runGeorep(args) };
  };
  const syncOk = async (a: SyncArgs = {}): Promise<RunResult> => {
    const { args, r } = await sync(a);
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    return r;
  };

  it('(a) mirrors the awkward tree: names, links, sparse, modes, ns mtimes, owners, FIFO', async function () {
    buildAwkwardTree(master);
    await syncOk();
    assertTreesEqual(master, slave);
    expect(fs.lstatSync(path.join(slave, AWKWARD.fifo)).isFIFO()).to.equal(true);
  });

  it('(a) a directory that became a file, one that became a symlink and one replaced by another directory converge: the old directories leave the slave', async function () {
    buildAwkwardTree(master);
    for (const d of ['#became-file', '..became-link', '-became-new-dir']) {
      fs.mkdirSync(path.join(master, d, 'deeper'), { recursive: true });
      fs.writeFileSync(path.join(master, d, 'deeper', 'f\nnewline'), 'inner');
      fs.writeFileSync(path.join(master, d, 'top'), 'top');
    }
    await syncOk();
    fs.rmSync(path.join(master, '#became-file'), { recursive: true });
    fs.writeFileSync(path.join(master, '#became-file'), 'a file now');
    fs.rmSync(path.join(master, '..became-link'), { recursive: true });
    fs.symlinkSync('#became-file', path.join(master, '..became-link'));
    // rm -rf d && mv d.new d: another directory (inode) at the name.
    fs.rmSync(path.join(master, '-became-new-dir'), { recursive: true });
    fs.mkdirSync(path.join(master, '-became-new-dir', 'other'), { recursive: true });
    fs.writeFileSync(path.join(master, '-became-new-dir', 'other', 'new content'), 'new');
    // The old directories leave the slave first (their RMDIRs); that run says so (exit 1),
    // the next one makes the new entries.
    const first = await sync();
    expect(first.r.exitCode, describeRun(first.args, first.r)).to.equal(EXIT.syncFailed);
    expect(first.r.stdout + first.r.stderr).to.include('REPLACE_PENDING');
    await syncOk();
    assertTreesEqual(master, slave);
    await syncOk(); // and stays so
  });

  it('(a) a big directory replaced by a symlink: the brake holds its removal, and with --allow-mass-delete it converges', async function () {
    fs.mkdirSync(path.join(master, 'big', 'deeper'), { recursive: true });
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(master, 'big', 'deeper', `f${i}`), `${i}`);
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(master, `other-${i}`), `${i}`);
    await syncOk();
    fs.rmSync(path.join(master, 'big'), { recursive: true });
    fs.symlinkSync('other-0', path.join(master, 'big'));
    const brake = ['--delete-brake-min', '5']; // 14 deletes of 35 entries: over 10 %
    const held = await sync({ flags: brake });
    expect(held.r.exitCode).to.equal(EXIT.syncFailed);
    expect(held.r.stdout + held.r.stderr).to.include('MASS_DELETE');
    expect(fs.readdirSync(path.join(slave, 'big', 'deeper')), 'nothing removed').to.have.length(12);
    // Refused once, the removal is sent again by the next run (the old rows stay until it lands).
    const allowed = await sync({ flags: [...brake, '--allow-mass-delete'] });
    expect(allowed.r.exitCode, describeRun(allowed.args, allowed.r)).to.equal(EXIT.syncFailed); // REPLACE_PENDING
    await syncOk();
    assertTreesEqual(master, slave);
  });

  it('(a) a directory moved while the crawl lists the tree fails the run (exit 1, naming it); the next run lands it', async function () {
    for (let d = 0; d < 9; d++)
      for (let i = 0; i < 5; i++) fs.mkdirSync(path.join(master, `d${d}`, `s${i}`), { recursive: true });
    fs.mkdirSync(path.join(master, 'zz', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(master, 'zz', 'deeper', '#moved with its directory'), 'x');
    fs.linkSync(path.join(master, 'zz', 'deeper', '#moved with its directory'), path.join(master, 'zz', 'hard link'));
    // 25 entries a second: 'zz', listed in the root first, is reached after about 2 s.
    const args = ['sync', '--oneshot', master, slave, '--workdir', work, '--crawl-rate', '25', '--seed-copy', 'false'];
    const cmd = georepCommand();
    const child = execa(cmd.file, [...cmd.args, ...args], { reject: false, stdin: 'ignore' });
    // Once the crawl lists d0 (its atime moves: relatime updates an atime not after the mtime),
    // the root is listed and 'zz' is about 2 s away. A fixed wait after the slave's greeting
    // missed that window on a loaded machine (the move came first: exit 0). Without atimes
    // (noatime), 3 s after the greeting.
    const d0 = path.join(master, 'd0');
    const before = fs.statSync(d0, { bigint: true }).atimeNs;
    const greeted = path.join(slave, '.georep', 'index.db');
    while (!fs.existsSync(greeted) && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const deadline = Date.now() + 3000;
    while (fs.statSync(d0, { bigint: true }).atimeNs === before && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 10));
    fs.renameSync(path.join(master, 'zz'), path.join(master, 'zz-moved'));
    const first = await child;
    expect(first.exitCode, `${first.stdout}\n${first.stderr}`).to.equal(EXIT.syncFailed);
    expect(first.stdout + first.stderr)
      .to.include('zz')
      .and.include('run the sync again');
    await syncOk();
    assertTreesEqual(master, slave);
  });

  it('(a) skips a socket with a warning naming it, and still mirrors the rest', async function () {
    smallTree(master);
    await makeSocket(path.join(master, 'nested', 'app.sock'));
    const r = await syncOk();
    expect(`${r.stdout}\n${r.stderr}`).to.include('nested/app.sock');
    expect(fs.existsSync(path.join(slave, 'nested', 'app.sock'))).to.equal(false);
    assertTreesEqual(master, slave);
  });

  it('(a) files and a directory dated after 2262 (past 64-bit ns) replicate with their times, seeded and file by file', async function () {
    // Any user can date a file so: it once stopped the replication of the whole tree (exit 4).
    smallTree(master);
    const far = new Date('2300-01-01T00:00:00Z');
    const dated = (rel: string): void => {
      fs.mkdirSync(path.dirname(path.join(master, rel)), { recursive: true });
      fs.writeFileSync(path.join(master, rel), rel);
      fs.utimesSync(path.join(master, rel), far, far);
    };
    dated('nested/deep/future');
    fs.utimesSync(path.join(master, 'nested', 'deep'), far, far);
    await syncOk();
    assertTreesEqual(master, slave);
    dated('later/one more');
    fs.utimesSync(path.join(master, 'nested', 'deep', 'future'), new Date('2400-06-01T00:00:00Z'), far);
    await syncOk({ flags: ['--seed-copy', 'false'] });
    assertTreesEqual(master, slave);
    expect(fs.statSync(path.join(slave, 'later', 'one more')).mtime.getTime()).to.equal(far.getTime());
  });

  it('(e) a slave restored from an earlier copy (with its state folder) is checked whole and converges', async function () {
    // Its index still named the same slave: a sync trusted what it had confirmed since and
    // exited 0 over missing, stale and extra files (one-shot probe).
    smallTree(master);
    await syncOk();
    const snapshot = path.join(tmp, 'snapshot');
    execFileSync('cp', ['-a', slave, snapshot]);
    mutate(master, CONVERGE_OPS);
    await syncOk();
    fs.rmSync(slave, { recursive: true });
    execFileSync('cp', ['-a', snapshot, slave]);
    const r = await syncOk();
    expect(r.stderr).to.match(/restored from an earlier copy/);
    assertTreesEqual(master, slave);
  });

  it('(b) re-run on an unchanged tree exits 0 and touches no slave entry', async function () {
    buildAwkwardTree(master);
    await syncOk();
    const before = snapshotTree(slave, { skipRootNames: ['.georep'] });
    await syncOk();
    const after = snapshotTree(slave, { skipRootNames: ['.georep'] });
    expect(diffSnapshots(before, after)).to.deep.equal([]);
    assertTreesEqual(master, slave);
  });

  // After the first sync (it stages digests of what it confirms) and after a clean re-run every
  // directory whose entries were confirmed as listed has a digest (src/master/dir-digest.ts):
  // the next run skips their index rows, and must still find every change below them.
  for (const cleanRerun of [false, true]) {
    const after = cleanRerun
      ? 'after a clean re-run (directory digests in use)'
      : 'after the first sync (the digests it stored in use)';
    it(`(c) converges ${after}: deletes, renames, type changes, quick-check traps, chmod, new files`, async function () {
      buildAwkwardTree(master);
      await syncOk();
      if (cleanRerun) await syncOk();
      mutate(master, CONVERGE_OPS);
      const r = await syncOk({ flags: ['--log-level', 'debug'] });
      assertTreesEqual(master, slave);
      expect(r.stderr).to.match(/"dirsUnchanged":[1-9]/);
    });
  }

  it('(d) --ignore-deletes keeps deleted entries on the slave and still syncs new ones; a new directory or file at the name of a kept directory merges it or keeps it aside, and nothing fails', async function () {
    const m = (rel: string): string => path.join(master, rel);
    const w = (rel: string, data: string): void => {
      fs.mkdirSync(path.dirname(m(rel)), { recursive: true });
      fs.writeFileSync(m(rel), data);
    };
    smallTree(master);
    for (const rel of ['k/a/old', 'k/a/same', 'k/a/sub/deep', 'k/d/dold', 'k/e/enew', 'k/x/xold']) w(rel, rel);
    await syncOk();
    const kept = fs.readFileSync(path.join(master, AWKWARD.space));
    const pre = path.join(tmp, 'pre-k');
    execFileSync('cp', ['-a', '--', path.join(slave, 'k'), pre]);
    mutate(master, [
      { op: 'delete', path: AWKWARD.space },
      { op: 'delete', path: 'nested/a/b' },
      { op: 'add-file', path: 'fresh.txt', content: 'new\n' },
      { op: 'add-file', path: 'nested/fresh-dir/x', content: 'new too\n' },
    ]);
    // rm -rf a; mkdir a (a/same rewritten), rm -rf d; mv e d, rm -rf x; echo > x: each a new
    // entry at the name of a directory the slave keeps.
    fs.rmSync(m('k/a'), { recursive: true });
    w('k/a/new', 'new in a');
    w('k/a/same', 'the new version');
    fs.rmSync(m('k/d'), { recursive: true });
    fs.renameSync(m('k/e'), m('k/d'));
    fs.rmSync(m('k/x'), { recursive: true });
    w('k/x', 'now a file');
    await syncOk({ flags: ['--ignore-deletes'] });
    const failures = await runGeorep(['failures', master, slave, '--workdir', work, '--json']);
    expect(JSON.parse(failures.stdout), describeRun(['failures'], failures)).to.deep.equal([]);
    expect(fs.readFileSync(path.join(slave, AWKWARD.space))).to.deep.equal(kept);
    const diffs = compareTrees(master, slave).filter((d) => d.path !== 'k' && !d.path.startsWith('k/'));
    // The kept entries are extras; their parents may keep the slave's older mtime. Nothing else.
    const extras = diffs.filter((d) => d.what === 'extra').map((d) => d.path);
    expect(extras.sort()).to.deep.equal(['nested/a/b', AWKWARD.space].sort());
    const others = diffs.filter(
      (d) => !(d.what === 'extra' || (d.what === 'mtime' && ['.', 'nested/a'].includes(d.path))),
    );
    expect(others).to.deep.equal([]);
    // k: the new a and d took over the kept ones (a one-shot crawl sees mv e d as a new
    // directory at d; the live test has the RENAME), the file x put the kept x aside.
    const asides = fs.readdirSync(path.join(slave, 'k')).filter((n) => n.includes('.georep-kept-'));
    expect(asides).to.have.lengthOf(1);
    expect(asides[0]).to.match(/^x\.georep-kept-[0-9a-f]{8}$/);
    const expected = path.join(tmp, 'expected-k');
    keptSuperset(m('k'), expected, [
      { from: path.join(pre, 'a/old'), rel: 'a/old' },
      { from: path.join(pre, 'a/sub'), rel: 'a/sub' },
      { from: path.join(pre, 'd/dold'), rel: 'd/dold' },
      { from: path.join(pre, 'e'), rel: 'e' },
      { from: path.join(pre, 'x'), rel: asides[0] as string },
    ]);
    assertTreesEqual(expected, path.join(slave, 'k'));
  });

  it('(e) converges on a pre-seeded slave without re-sending unchanged big files', async function () {
    buildAwkwardTree(master);
    execFileSync('cp', ['-a', master, slave]);
    mutate(master, [
      { op: 'delete', path: AWKWARD.percent },
      { op: 'rewrite-same-second', path: AWKWARD.backslash },
      { op: 'chmod', path: AWKWARD.mode0600, mode: 0o644 },
      { op: 'add-file', path: 'added/one.txt', content: 'added after the seed copy\n' },
    ]);
    const bigM = joinBytes(master, AWKWARD.big);
    const bigS = joinBytes(slave, AWKWARD.big);
    setTimesNs(bigM, OLD_ATIME, 'atime');
    const slaveBefore = fs.lstatSync(bigS, { bigint: true });
    const watchAtime = atimeMovesOnRead(tmp);

    const r = await syncOk();

    // Checked before assertTreesEqual, which reads every file. With relatime an old atime moves
    // on any read, so an unchanged atime proves nobody read (hence nobody sent) the master file.
    if (watchAtime) expect(fs.lstatSync(bigM, { bigint: true }).atimeNs).to.equal(1_000_000_000n * 1_000_000_000n);
    const slaveAfter = fs.lstatSync(bigS, { bigint: true });
    expect(slaveAfter.ino, 'slave big file was replaced').to.equal(slaveBefore.ino);
    expect(slaveAfter.mtimeNs).to.equal(slaveBefore.mtimeNs);
    expect(bytesSent(r), 'bytes sent for a few small changes').to.be.below(1 * MiB);
    assertTreesEqual(master, slave);
  });

  it('(f) missing master: exit 2, one stderr line naming the path, no stack', async function () {
    const missing = path.join(tmp, 'no such master');
    const { args, r } = await sync({ from: missing });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.usage);
    expectOneLineError(r, missing, args);
  });

  it('(f) slave under a regular file: slave exit code, one stderr line naming the path', async function () {
    smallTree(master);
    fs.writeFileSync(path.join(tmp, 'file'), 'a regular file, not a directory\n');
    const bad = path.join(tmp, 'file', 'slave');
    const { args, r } = await sync({ to: bad });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.slave);
    expectOneLineError(r, bad, args);
  });

  it('(f) foreign slave: a second master is refused, naming the slave, and the slave is untouched', async function () {
    const masterA = path.join(tmp, 'A');
    const masterB = path.join(tmp, 'B');
    smallTree(masterA);
    buildAwkwardTree(masterB, { bigFileBytes: 64 * KiB, sparseBytes: 1 * MiB, seed: 7, fifo: false });
    fs.writeFileSync(path.join(masterB, 'only-in-B'), 'B\n');
    await syncOk({ from: masterA });
    const otherWork = fs.mkdtempSync(path.join(work, 'other-'));
    const { args, r } = await sync({ from: masterB, workdir: otherWork });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.slave);
    expect(r.stderr, describeRun(args, r)).to.include(slave);
    expect(r.stderr, describeRun(args, r)).not.to.match(/^\s+at /m);
    assertTreesEqual(masterA, slave);
  });

  // The first sync goes in crawl batches of 4 records (a group's names land in different
  // batches); the re-run too, or in one batch, where the renamed directories' old names are
  // still in the index when the new names are linked (the re-run lost those links).
  for (const rerunEntries of ['4', '8192']) {
    it(`(h) re-run in crawl batches of ${rerunEntries} records after renaming directories that hold hard-link names, no seed copy`, async function () {
      const small = ['--seed-copy', 'false', '--xsync-changelog-entries', '4'];
      smallTree(master);
      // Groups of two names, one in a directory that stays and one in a directory renamed
      // below. The index reads a file through the name whose parent has the lowest gfid, and
      // gfids are random: sixteen groups make it nearly certain that the old code read one
      // through its gone name and dropped the new link (a third of the groups, on average).
      const groups = Array.from({ length: 16 }, (_, k) => {
        const top = k % 2 === 0;
        const to = top ? `;r${k} renamed` : k % 4 === 1 ? `..r${k} moved up` : `nested/a/-r${k} moved`;
        return {
          keep: top ? `#keep${k}` : `nested/a/;keep${k}`,
          from: top ? `..r${k}` : `${AWKWARD.deepDir}/#r${k}`,
          to,
          k,
        };
      });
      mutate(master, [
        ...groups.flatMap(({ keep, from, k }): MutateOp[] => [
          { op: 'add-file', path: `${keep}/#g${k}`, content: `group ${k}: one name stays, one moves\n` },
          { op: 'add-link', existing: `${keep}/#g${k}`, path: `${from}/..g${k}` },
        ]),
        // A group whose names all sit in one directory tree that is renamed as a whole.
        { op: 'add-file', path: 'pair/x/#first', content: 'both names inside one renamed tree\n' },
        { op: 'add-link', existing: 'pair/x/#first', path: 'pair/;y/..second' },
      ]);
      await syncOk({ flags: small });
      assertTreesEqual(master, slave);
      mutate(master, [
        ...groups.map(({ from, to }): MutateOp => ({ op: 'rename', from, to })),
        { op: 'rename', from: 'pair', to: '..pair' },
        { op: 'rename', from: '..pair/;y', to: '..pair/x/;y' },
        // The awkward tree's groups: the other names stay where they are.
        { op: 'rename', from: AWKWARD.hashDir, to: '#dir renamed' }, // farLinks[1]
        { op: 'rename', from: 'nested/a/b', to: 'nested/..b' }, // farLinks[2], deep
        { op: 'rename', from: 'hard', to: ';hard' }, // hardLinks[0] and [1]; [2] stays in nested/a
        { op: 'add-link', existing: ';hard/one', path: '..pair/x/#third' },
        { op: 'rewrite-same-second', path: AWKWARD.farLinks[0] },
        { op: 'delete', path: AWKWARD.dotDots },
        { op: 'delete', path: 'nested/..b/c/..dots' },
        { op: 'add-file', path: '#dir renamed/;new', content: 'new in a renamed directory\n' },
      ]);
      await syncOk({ flags: ['--seed-copy', 'false', '--xsync-changelog-entries', rerunEntries] });
      assertTreesEqual(master, slave);
    });
  }

  it('(g) the tarssh engine mirrors a small awkward tree too', async function () {
    smallTree(master);
    await syncOk({ flags: ['--sync-method', 'tarssh'] });
    assertTreesEqual(master, slave);
  });
});
