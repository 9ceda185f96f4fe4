// E2E for the mass-delete brake (issue 15, item 4): real daemon, real watcher, real rsync, the
// slave checked by an independent walk. Deleting half of the master while live leaves every
// file on the slave, status says Held, new files still arrive, and `georep release` lets the
// deletes land. Emptying the master root, or mounting over it, deletes nothing. A one-shot sync
// refuses a mass delete unless given --allow-mass-delete.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, runGeorep } from '../support/cli.js';
import { LiveSession } from '../support/live-session.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';
import type { Difference } from '../support/tree-compare.js';

const CONVERGE_MS = 60_000;
const POLL_MS = 200;
/** Files per directory: 2 directories, so that deleting one is half the tree and over delete-brake-min. */
const PER_DIR = 150;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Status JSON fields these tests read. */
interface BrakeStatus {
  readonly worker_status: string;
  readonly held: string | null;
  readonly deletes_held: number;
}

function tree(root: string): void {
  for (const dir of ['a', 'b']) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (let i = 0; i < PER_DIR; i++) fs.writeFileSync(path.join(root, dir, `f${i}`), `${dir} ${i}\n`);
  }
}

/** Files under `root` (relative paths), by an independent walk. */
function files(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (rel === '' && e.name === '.georep') continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Removes `name` from `root` in one step, as the recorder sees it: moved out, then deleted. */
function gone(root: string, name: string): void {
  const out = `${root}.gone-${name}`;
  fs.renameSync(path.join(root, name), out);
  fs.rmSync(out, { recursive: true });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, limitMs = CONVERGE_MS): Promise<void> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(POLL_MS);
  }
}

async function converge(master: string, slave: string): Promise<void> {
  let diffs: Difference[] = [];
  const same = (): boolean => {
    try {
      diffs = compareTrees(master, slave);
    } catch (e) {
      diffs = [{ path: '.', what: 'missing', master, slave: String(e) }];
    }
    return diffs.length === 0;
  };
  await until(`slave equal to master\n${formatDifferences(diffs)}`, same);
}

describe('e2e: mass-delete brake', function () {
  this.timeout(240_000);

  describe('live daemon', () => {
    let s: LiveSession;
    const mounts: string[] = [];
    beforeEach(() => {
      s = new LiveSession('georep-brake-');
      fs.mkdirSync(s.master);
    });
    afterEach(async function () {
      // A mount over the master must go first: stop and the cleanup walk the master's path.
      for (const m of mounts.splice(0).reverse()) execFileSync('umount', ['-l', m]);
      const keep = this.currentTest?.state === 'failed' && process.env['GEOREP_KEEP_TMP'] === '1';
      if (keep) console.log(`kept ${s.tmp}`);
      const killed = await s.cleanup(keep);
      expect(killed, 'session processes that outlived georep stop').to.deep.equal([]);
    });

    const status = async (): Promise<BrakeStatus> => JSON.parse(await s.geo(['status'], ['--json'])) as BrakeStatus;
    /** Waits until the session is Held (with deletes held, if `withDeletes`) or the slave lost a file (the old code). */
    const heldOrLost = (before: readonly string[], withDeletes = false): Promise<void> =>
      until('Held, or files lost on the slave', async () => {
        if (files(s.slave).length < before.length) return true;
        const st = await status();
        return st.worker_status === 'Held' && (!withDeletes || st.deletes_held > 0);
      });
    const log = (): string => fs.readFileSync(s.logPath(), 'utf8');

    /** Starts the session on the two-directory tree and waits for the slave to equal it. */
    async function started(extra: Record<string, string> = {}): Promise<void> {
      tree(s.master);
      await s.config('seed-copy', 'false');
      for (const [k, v] of Object.entries(extra)) await s.config(k, v);
      await s.start();
      await converge(s.master, s.slave);
    }

    it('deleting half the master holds every delete (Held), new files still arrive, and release lands them', async function () {
      await started();
      const before = files(s.slave);
      // Half the tree goes at once (moved out, then removed), so the recorder records it in one
      // changelog: the brake counts one turn's deletes, and an rm -rf that straddles a rollover
      // could send a first part below the limits before the rest is held.
      gone(s.master, 'a');
      await heldOrLost(before);
      expect(files(s.slave), 'the slave keeps every file').to.deep.equal(before);
      const st = await status();
      expect(st.worker_status).to.equal('Held');
      expect(st.held).to.match(
        /deletes would remove \d+(\.\d)?% of the \d+ entries on the slave \(delete-brake-percent 10\)/,
      );
      expect(st.deletes_held).to.be.greaterThan(0);
      const text = await s.geo(['status']);
      expect(text).to.match(/Held: .*deletes held until georep release MASTER SLAVE/);
      expect(log()).to.match(/"event":"delete_brake".*"action":"engaged"|"action":"engaged".*"event":"delete_brake"/);

      // New files still arrive; the slave keeps every file the master deleted.
      fs.writeFileSync(path.join(s.master, 'b', 'new'), 'new\n');
      await until('the new file on the slave', () => fs.existsSync(path.join(s.slave, 'b', 'new')));
      expect(files(s.slave)).to.deep.equal([...before, 'b/new'].sort());
      expect(fs.readFileSync(path.join(s.slave, 'a', 'f7'), 'utf8')).to.equal('a 7\n');

      const out = await s.geo(['release']);
      expect(out).to.match(/released \d+ held delete/);
      await converge(s.master, s.slave);
      await until('status Active', async () => (await status()).worker_status === 'Active');
      expect((await status()).deletes_held).to.equal(0);
      expect(log()).to.match(/"action":"released"/);
    });

    it('emptying the master root deletes nothing, however small the tree', async function () {
      fs.mkdirSync(path.join(s.master, 'd', 'sub'), { recursive: true });
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(s.master, 'd', `f${i}`), `${i}\n`);
      fs.writeFileSync(path.join(s.master, 'd', 'sub', 'deep'), 'deep\n');
      await s.config('seed-copy', 'false');
      await s.start();
      await converge(s.master, s.slave);
      const before = files(s.slave);
      gone(s.master, 'd'); // 7 entries: far below the limits, but the root is empty
      await heldOrLost(before, true);
      await sleep(3000); // a few more turns
      expect(files(s.slave), 'the slave keeps every file').to.deep.equal(before);
      expect((await status()).held).to.match(/the master root .* is empty/);
    });

    for (const kind of ['tmpfs', 'bind'] as const) {
      it(`a ${kind} mount over the master root deletes nothing, even once the recorder re-reads the tree`, async function () {
        if (process.getuid?.() !== 0) this.skip(); // mounting needs root
        // The recorder re-reads the whole master every 2 s: it finds every entry gone.
        await started({ 'reconcile-interval': '2' });
        const before = files(s.slave);
        if (kind === 'tmpfs') execFileSync('mount', ['-t', 'tmpfs', 'georep-test', s.master]);
        else {
          const other = path.join(s.tmp, 'other');
          fs.mkdirSync(path.join(other, 'a'), { recursive: true });
          fs.writeFileSync(path.join(other, 'a', 'f0'), 'another tree\n');
          execFileSync('mount', ['--bind', other, s.master]);
        }
        mounts.push(s.master);
        // The recorder's reconcile finds the old entries gone: the worker holds those deletes.
        await heldOrLost(before, true);
        await sleep(4000); // more reconciles and turns
        const after = files(s.slave);
        expect(
          before.filter((f) => !after.includes(f)),
          'deleted on the slave',
        ).to.deep.equal([]);
        expect(fs.readFileSync(path.join(s.slave, 'b', 'f3'), 'utf8')).to.equal('b 3\n');
        expect((await status()).held).to.match(/another directory .* unmounted, mounted over or replaced/);
      });
    }
  });

  describe('one-shot sync', () => {
    let s: LiveSession;
    beforeEach(() => {
      s = new LiveSession('georep-brake-once-');
      fs.mkdirSync(s.master);
      tree(s.master);
    });
    afterEach(() => fs.rmSync(s.tmp, { recursive: true, force: true }));

    const sync = async (workdir: string, flags: readonly string[] = []) => {
      const args = ['sync', '--oneshot', s.master, s.slave, '--workdir', workdir, ...flags];
      return { args, r: await runGeorep(args, { timeoutMs: 120_000 }) };
    };

    it('refuses a mass delete (exit 1, one line naming --allow-mass-delete, nothing deleted) and deletes with --allow-mass-delete', async function () {
      const first = await sync(s.work);
      expect(first.r.exitCode, describeRun(first.args, first.r)).to.equal(EXIT.ok);
      const before = files(s.slave);
      fs.rmSync(path.join(s.master, 'a'), { recursive: true });
      fs.writeFileSync(path.join(s.master, 'b', 'new'), 'new\n');
      const refused = await sync(s.work);
      expect(refused.r.exitCode, describeRun(refused.args, refused.r)).to.equal(EXIT.syncFailed);
      const lines = refused.r.stdout.split('\n').filter((l) => l.includes('--allow-mass-delete'));
      expect(lines, describeRun(refused.args, refused.r)).to.have.lengthOf(1);
      expect(lines[0]).to.match(/MASS_DELETE: \d+ deletes would remove .* nothing was deleted on the slave/);
      expect(files(s.slave)).to.deep.equal([...before, 'b/new'].sort()); // the new file arrived all the same
      const again = await sync(s.work); // still refused: the index kept what vanished
      expect(again.r.exitCode, describeRun(again.args, again.r)).to.equal(EXIT.syncFailed);
      const allowed = await sync(s.work, ['--allow-mass-delete']);
      expect(allowed.r.exitCode, describeRun(allowed.args, allowed.r)).to.equal(EXIT.ok);
      expect(compareTrees(s.master, s.slave)).to.deep.equal([]);
    });

    it('a first sync whose purge of extra slave entries was refused purges them on the rerun with --allow-mass-delete', async function () {
      // Entries the slave holds that the master never had (a copy made before georep, since deleted).
      fs.mkdirSync(s.slave, { recursive: true });
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(s.slave, `extra${i}`), 'x\n');
      const refused = await sync(s.work, ['--delete-brake-count', '5']);
      expect(refused.r.exitCode, describeRun(refused.args, refused.r)).to.equal(EXIT.syncFailed);
      expect(files(s.slave).filter((f) => f.startsWith('extra'))).to.have.lengthOf(20);
      // The full crawl did not complete: the rerun is one too, and its purge runs.
      const allowed = await sync(s.work, ['--allow-mass-delete']);
      expect(allowed.r.exitCode, describeRun(allowed.args, allowed.r)).to.equal(EXIT.ok);
      expect(compareTrees(s.master, s.slave)).to.deep.equal([]);
    });

    it('refuses to purge a populated slave from an empty master (its disk not mounted) on a first sync', async function () {
      // A copy made before georep (say by rsync): the slave's index knows none of it.
      tree(s.slave);
      const before = files(s.slave);
      for (const name of fs.readdirSync(s.master)) fs.rmSync(path.join(s.master, name), { recursive: true });
      const empty = await sync(s.work);
      expect(empty.r.exitCode, describeRun(empty.args, empty.r)).to.equal(EXIT.syncFailed);
      expect(empty.r.stdout).to.match(
        /MASS_DELETE: the master root .* is empty; nothing was deleted.*--allow-mass-delete/,
      );
      expect(files(s.slave)).to.deep.equal(before);
    });
  });
});
