// e2e: failures are counted, kept and shown, never dropped. A transfer that fails leaves the
// run with exit code 1 and every undelivered file listed; nothing is confirmed in the index, so
// the next run sends it all and the slave converges. Also: device nodes as root.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { execa } from 'execa';
import { describeRun, georepCommand, repoRoot, runGeorep } from '../support/cli.js';
import { assertTreesEqual } from '../support/tree-compare.js';

/**
 * How a test starts georep: the Node entry (node dist/cli/main.js, which reruns a one-shot sync
 * under the heap cap) or bin/georep, the launcher npm installs (which starts it capped).
 */
const NODE_ENTRY = 'the Node entry';
const LAUNCHER = 'bin/georep';
/** bin/georep as a script's background job: started with SIGINT ignored, which a shell cannot trap. */
const BACKGROUND = "bin/georep, a script's background job";
type Entry = typeof NODE_ENTRY | typeof LAUNCHER | typeof BACKGROUND;
const ENTRIES = [NODE_ENTRY, LAUNCHER, BACKGROUND] as const;
const launcherPath = path.join(repoRoot, 'bin', 'georep');

/** pids of running processes whose NUL-separated command line satisfies `match` (read from /proc). */
function pidsRunning(match: (cmdline: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') continue; // exited meanwhile
      throw e;
    }
    if (match(cmdline)) pids.push(Number(entry));
  }
  return pids;
}

describe('e2e: sync --oneshot failures and special files', function () {
  this.timeout(60_000);
  let base: string;
  let master: string;
  let slave: string;
  let work: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-e2e-fail-'));
    [master, slave, work] = ['master', 'slave', 'work'].map((d) => path.join(base, d)) as [string, string, string];
    fs.mkdirSync(path.join(master, 'd'), { recursive: true });
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(master, 'd', `f${i}`), `content ${i}`);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  /**
   * A sync whose rsync reports it started, then stalls: whatever the test does next surely
   * lands mid-transfer. Resolves once that rsync runs.
   */
  const stalledSync = async (entry: Entry = NODE_ENTRY) => {
    const fifo = path.join(base, 'started');
    const pidFile = path.join(base, 'rsync.pid');
    execFileSync('mkfifo', [fifo]);
    const stalling = path.join(base, 'stalling-rsync');
    const script = `#!/bin/sh\necho $$ > '${pidFile}'\necho started > '${fifo}'\nexec sleep 60\n`;
    fs.writeFileSync(stalling, script, { mode: 0o755 });
    const bgPidFile = path.join(base, 'georep.pid');
    const cmd =
      entry === NODE_ENTRY
        ? georepCommand()
        : entry === LAUNCHER
          ? { file: launcherPath, args: [] }
          : { file: 'sh', args: ['-c', `"$0" "$@" & echo $! > '${bgPidFile}'; wait $!`, launcherPath] };
    // No seed copy: these tests are about failures of the file-by-file transfer.
    const args = [
      'sync',
      '--oneshot',
      master,
      slave,
      '--workdir',
      work,
      '--seed-copy',
      'false',
      '--rsync-command',
      stalling,
    ];
    const opts = { reject: false, cwd: repoRoot, stdin: 'ignore', timeout: 30_000 } as const;
    const child = execa(cmd.file, [...cmd.args, ...args], opts);
    await fs.promises.readFile(fifo); // returns once the stalling rsync has written to it
    // The process a user would signal: the one started, or the script's background job.
    const georep = entry === BACKGROUND ? Number(fs.readFileSync(bgPidFile, 'utf8')) : (child.pid as number);
    return { child, stalling, pidFile, georep };
  };

  const sync = async (...flags: string[]) => {
    const args = ['sync', '--oneshot', master, slave, '--workdir', work, '--seed-copy', 'false', ...flags];
    return { args, r: await runGeorep(args) };
  };

  it('a failing transfer exits 1 listing every undelivered file; the next run sends them and converges', async () => {
    const broken = path.join(base, 'broken-rsync');
    fs.writeFileSync(broken, '#!/bin/sh\necho "simulated rsync failure" >&2\nexit 12\n', { mode: 0o755 });
    const first = await sync('--rsync-command', broken);
    expect(first.r.exitCode, describeRun(first.args, first.r)).to.equal(EXIT.syncFailed);
    const said = `${first.r.stdout}\n${first.r.stderr}`;
    for (let i = 0; i < 5; i++) expect(said).to.include(`d/f${i}`);
    expect(said).to.include('RSYNC_FAILED');
    // Entries exist, content does not: a CREATE whose data failed leaves no file behind.
    expect(fs.existsSync(path.join(slave, 'd'))).to.equal(true);
    expect(fs.existsSync(path.join(slave, 'd', 'f0'))).to.equal(false);

    const second = await sync();
    expect(second.r.exitCode, describeRun(second.args, second.r)).to.equal(EXIT.ok);
    assertTreesEqual(master, slave);
  });

  it('a full slave: exit 1 naming the file and "No space left", nothing lost; with room again, the next run converges', async () => {
    const mnt = path.join(base, 'slave');
    fs.mkdirSync(mnt);
    const mount = (opts: string): void => void execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', mnt]);
    if (process.getuid?.() !== 0) {
      // Building a small filesystem needs root (as CI runs); here, show that it cannot be built.
      expect(() => mount('size=1m')).to.throw();
      return;
    }
    mount('size=1m');
    try {
      fs.writeFileSync(path.join(master, 'big'), Buffer.alloc(3 << 20, 7));
      const first = await sync();
      expect(first.r.exitCode, describeRun(first.args, first.r)).to.equal(EXIT.syncFailed);
      expect(`${first.r.stdout}\n${first.r.stderr}`)
        .to.include('big')
        .and.match(/No space left/);
      execFileSync('mount', ['-o', 'remount,size=16m', mnt]);
      const second = await sync();
      expect(second.r.exitCode, describeRun(second.args, second.r)).to.equal(EXIT.ok);
      assertTreesEqual(master, slave);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  /** Every heap-capped process of a sync of this test's master. */
  const allCapped = (): number[] =>
    pidsRunning((c) => c.includes('--max-old-space-size=') && c.includes(`\0${master}\0`));
  /** The heap-capped process a one-shot sync runs its work in (heap-cap-rerun.ts, bin/georep), a child of `parent`. */
  const cappedSync = (parent: number): number[] =>
    allCapped().filter(
      (pid) =>
        Number(
          fs
            .readFileSync(`/proc/${pid}/stat`, 'latin1')
            .replace(/^.*\) /s, '')
            .split(' ')[1],
        ) === parent,
    );

  /** The Node processes running a sync of this test's master (the agent is started with the slave's root). */
  const nodesOfSync = (): number[] =>
    pidsRunning((c) => path.basename(c.split('\0')[0] as string) === 'node' && c.includes(`\0${master}\0`));

  for (const entry of ENTRIES) {
    it(`Ctrl-C mid-transfer (${entry}): exit 130 with the reason in one line, no process left behind; the next run converges`, async () => {
      const { child, pidFile, georep } = await stalledSync(entry);
      const capped = cappedSync(georep);
      expect(capped, 'the sync runs in one heap-capped child of the georep process').to.have.length(1);
      expect(allCapped(), 'and in no other (no rerun under the cap)').to.deep.equal(capped);
      if (entry === LAUNCHER)
        expect(nodesOfSync(), 'bin/georep starts no uncapped Node process to rerun it').to.deep.equal(capped);
      process.kill(georep, 'SIGINT');
      const r = await child;
      expect(r.exitCode, r.stderr).to.equal(EXIT.interrupted);
      expect(
        r.stderr
          .trimEnd()
          .split('\n')
          .filter((l) => l.startsWith('georep:')),
      ).to.deep.equal(['georep: stopped by SIGINT; a second SIGINT stops at once']);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(pid, 0), 'the stalled rsync was killed with its process group').to.throw(/ESRCH/);
      expect(() => process.kill(capped[0] as number, 0), 'the capped sync ended with it').to.throw(/ESRCH/);

      const again = await sync();
      expect(again.r.exitCode, describeRun(again.args, again.r)).to.equal(EXIT.ok);
      assertTreesEqual(master, slave);
    });

    it(`the terminal closed mid-transfer (SIGHUP, ${entry}): a clean stop as for Ctrl-C, its rsync ended`, async () => {
      const { child, pidFile, georep } = await stalledSync(entry);
      process.kill(georep, 'SIGHUP');
      const r = await child;
      expect(r.exitCode, r.stderr).to.equal(EXIT.interrupted);
      expect(r.stderr).to.match(/^georep: stopped by SIGHUP/m);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(pid, 0), 'the stalled rsync was killed with its process group').to.throw(/ESRCH/);
    });

    it(`georep SIGKILLed mid-transfer (${entry}): its heap-capped sync stops by itself, nothing left running; the next run converges`, async () => {
      const { child, pidFile, georep } = await stalledSync(entry);
      const capped = cappedSync(georep);
      expect(capped).to.have.length(1);
      const rsync = Number(fs.readFileSync(pidFile, 'utf8'));
      process.kill(georep, 'SIGKILL');
      await child; // resolves once the capped child, holding the same stdio, has ended too
      const gone = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
          return /^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1')); // a zombie holds nothing
        } catch {
          return true;
        }
      };
      const until = Date.now() + 10_000;
      while (!(gone(capped[0] as number) && gone(rsync)) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      expect(gone(capped[0] as number), 'the capped sync stopped when georep died').to.equal(true);
      expect(gone(rsync), 'its stalled rsync went with it').to.equal(true);

      const again = await sync();
      expect(again.r.exitCode, describeRun(again.args, again.r)).to.equal(EXIT.ok);
      assertTreesEqual(master, slave);
    });
  }

  for (const entry of ENTRIES) {
    it(`a sync stopped by SIGABRT, as V8 stops one at its heap limit (${entry}): one line says to raise daemon-heap, exit 4`, async () => {
      const { child, georep } = await stalledSync(entry);
      const capped = cappedSync(georep);
      expect(capped).to.have.length(1);
      process.kill(capped[0] as number, 'SIGABRT'); // an injected fault: the heap limit itself takes minutes to reach
      const r = await child;
      expect(r.exitCode, r.stderr).to.equal(EXIT.internal);
      expect(r.stderr).to.match(
        /^georep: the sync ran out of its 128 MiB heap \(daemon-heap\) and stopped; nothing was lost\. Raise it/m,
      );
      expect(r.stderr, "no shell's job notice beside it").to.not.match(/Aborted/);
      const again = await sync();
      expect(again.r.exitCode, describeRun(again.args, again.r)).to.equal(EXIT.ok);
      assertTreesEqual(master, slave);
    });
  }

  it('the slave agent killed mid-sync, with only file data left to send: exit 3 naming the cause, nothing left running; the next run converges', async () => {
    // A run whose entries are all in place has nothing left that calls the agent but the data's
    // commit: the death once ended it like a user's stop, "no failures", exit 0 (remote probe).
    const first = await sync();
    expect(first.r.exitCode, describeRun(first.args, first.r)).to.equal(EXIT.ok);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(master, 'd', `f${i}`), `changed content ${i}`);
    const { child, stalling } = await stalledSync();
    const agent = pidsRunning((cmdline) => cmdline.includes('agent-main') && cmdline.includes(slave));
    expect(agent, 'exactly one agent for this slave').to.have.length(1);
    process.kill(agent[0] as number, 'SIGKILL');
    const r = await child;
    expect(r.exitCode, r.stderr).to.equal(EXIT.slave);
    expect(r.stderr).to.match(/^georep: slave agent was killed by SIGKILL/m);
    expect(
      pidsRunning((cmdline) => cmdline.includes(stalling)),
      'the stalled rsync went with the run',
    ).to.deep.equal([]);
    const again = await sync();
    expect(again.r.exitCode, describeRun(again.args, again.r)).to.equal(EXIT.ok);
    assertTreesEqual(master, slave);
  });

  it('as a user other than root: a directory it cannot list fails only itself; modes 0500 and 000 are copied and still filled', async () => {
    // One such directory stopped the whole run (exit 4), a seed copy of a 0500 directory could
    // never be removed again, and no file landed in a 0500 directory (one-shot probe, as nobody).
    const NOBODY = 65534;
    fs.mkdirSync(path.join(master, 'locked'));
    fs.writeFileSync(path.join(master, 'locked', 'x'), 'x');
    fs.mkdirSync(path.join(master, 'ro', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(master, 'ro', 'deep', 'y'), 'y');
    fs.writeFileSync(path.join(master, 'ro', 'z'), 'z');
    fs.mkdirSync(work);
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, base]);
    fs.chmodSync(path.join(master, 'locked'), 0o000);
    for (const d of ['ro/deep', 'ro']) fs.chmodSync(path.join(master, d), 0o500);
    const run = (...flags: string[]) => {
      const args = ['sync', '--oneshot', master, slave, '--workdir', work, ...flags];
      return runGeorep(args, { uid: NOBODY }).then((r) => ({ args, r }));
    };
    const first = await run(); // a seed copy first: cp cannot read `locked`, and its copy goes
    expect(first.r.exitCode, describeRun(first.args, first.r)).to.equal(EXIT.syncFailed);
    expect(first.r.stdout).to.match(/failed locked: EACCES: the directory cannot be listed/);
    expect(fs.readFileSync(path.join(slave, 'ro', 'deep', 'y'), 'utf8')).to.equal('y');
    expect(fs.readFileSync(path.join(slave, 'd', 'f1'), 'utf8')).to.equal('content 1');
    // A file it may not read fails alone with tar too: its box's other files land.
    fs.writeFileSync(path.join(master, 'd', 'secret'), 'secret');
    fs.chmodSync(path.join(master, 'd', 'secret'), 0o000);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(master, 'd', `new${i}`), `tar ${i}`); // new, as secret
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, path.join(master, 'd')]);
    const tar = await run('--seed-copy', 'false', '--sync-method', 'tarssh', '--sync-jobs', '1'); // one box
    expect(tar.r.exitCode, describeRun(tar.args, tar.r)).to.equal(EXIT.syncFailed);
    const failed = (tar.r.stdout.match(/^ {2}failed .*$/gm) ?? []).filter((l) => !l.includes('locked'));
    expect(failed, tar.r.stdout).to.have.length(1);
    expect(failed[0]).to.match(/^ {2}failed d\/secret: TAR_FAILED/);
    expect(fs.readFileSync(path.join(slave, 'd', 'new4'), 'utf8')).to.equal('tar 4');
    fs.rmSync(path.join(master, 'd', 'secret'));
    fs.chmodSync(path.join(master, 'locked'), 0o700);
    fs.chmodSync(path.join(master, 'ro'), 0o700);
    fs.writeFileSync(path.join(master, 'ro', 'new'), 'new');
    if (process.getuid?.() === 0) fs.chownSync(path.join(master, 'ro', 'new'), NOBODY, NOBODY);
    fs.chmodSync(path.join(master, 'ro'), 0o500);
    const second = await run('--seed-copy', 'false');
    expect(second.r.exitCode, describeRun(second.args, second.r)).to.equal(EXIT.ok);
    assertTreesEqual(master, slave);
    expect(fs.statSync(path.join(slave, 'ro')).mode & 0o777).to.equal(0o500);
    // A seed copy (the default) of the readable tree: its 0500 directories move into the slave root.
    const seeded = path.join(base, 'seeded');
    const args = ['sync', '--oneshot', master, seeded, '--workdir', path.join(work, 'w2')];
    const third = await runGeorep(args, { uid: NOBODY });
    expect(third.exitCode, describeRun(args, third)).to.equal(EXIT.ok);
    expect(third.stdout).to.match(/copied in bulk \(seed copy\)/);
    assertTreesEqual(master, seeded);
  });

  it('replicates FIFOs, and character devices when run as root (as CI runs)', async () => {
    const root = process.getuid?.() === 0;
    // Only root can make a device node on the master at all; a non-root run checks the FIFO.
    if (root) execFileSync('mknod', [path.join(master, 'null-like'), 'c', '1', '3']);
    execFileSync('mkfifo', [path.join(master, 'pipe')]);
    const { args, r } = await sync();
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    expect(fs.lstatSync(path.join(slave, 'pipe')).isFIFO()).to.equal(true);
    if (root) {
      const st = fs.lstatSync(path.join(slave, 'null-like'));
      expect(st.isCharacterDevice()).to.equal(true);
      expect(st.rdev).to.equal(fs.lstatSync(path.join(master, 'null-like')).rdev);
    }
    assertTreesEqual(master, slave);
  });
});
