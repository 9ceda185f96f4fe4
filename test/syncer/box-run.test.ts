// runBox: how each item of a box is judged. A committed file counts when it has the planned
// size and mtime (ns), or the current ones of the same master inode; a kept basis under quick
// check 'off' never does (rsync --ignore-times writes a new file for each path it reads). Not
// delivered: vanished when the master file is gone, else the engine's code. Fatal exit: every
// sent item fails with it. The box folder always goes. The slave is the real agent in-process
// (its staging and index); faults come from a decorated real engine.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import { runBox } from '../../src/syncer/box-run.js';
import type { BoxReport } from '../../src/syncer/box-run.js';
import type { SyncEngine } from '../../src/syncer/engine.js';
import type { DataOutcome, QuickCheck } from '../../src/syncer/job.js';
import { RsyncEngine } from '../../src/syncer/rsync-engine.js';
import { TarEngine } from '../../src/syncer/tar-engine.js';
import { TransferError } from '../../src/syncer/transfer-error.js';
import { AgentSlave } from '../support/agent-slave.js';
import { FaultyEngine } from './support/faulty-engine.js';
import type { Faults } from './support/faulty-engine.js';
import { gfidOf, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

const RSYNC = { rsyncCommand: 'rsync', rsyncOptions: '', useRsyncXattrs: false };
const codes = (outcomes: readonly DataOutcome[]): string[] =>
  outcomes.map((o) => (o.ok ? (o.vanished ? 'vanished' : 'ok') : o.code));
const MTIME = 1_700_000_000.25; // exact in binary: utimes sets it to the nanosecond

describe('runBox', () => {
  let w: World;
  let slave: AgentSlave;
  const [g1, g2, g3, g4] = [gfidOf(1), gfidOf(2), gfidOf(3), gfidOf(4)];
  const rel = new Map<Gfid, string>();

  beforeEach(async () => {
    w = makeWorld();
    slave = await AgentSlave.start(w.slave);
    rel.clear();
  });
  afterEach(async () => {
    await slave.close();
    w.cleanup();
  });

  /** A master file the slave knows at the same path; `slaveContent` is its old copy there. */
  async function known(gfid: Gfid, name: string, content: string, slaveContent?: string): Promise<Buffer> {
    rel.set(gfid, name);
    const src = w.file(name, content);
    fs.utimesSync(src, MTIME, MTIME);
    await slave.place(gfid, name, slaveContent);
    if (slaveContent !== undefined) fs.utimesSync(path.join(w.slave, name), MTIME, MTIME);
    return src;
  }
  const run = (
    gfids: readonly Gfid[],
    engine: SyncEngine,
    quickCheck: QuickCheck = 'off',
    checkSettled = false,
  ): Promise<BoxReport> =>
    runBox(
      {
        sourceRoot: w.master,
        stagingDir: slave.staging,
        items: gfids.map((g) => w.item(g, rel.get(g) ?? `unplanned-${g}`)),
        quickCheck,
        sparse: false,
        checkSettled,
      },
      { slave, engine },
    );
  const rsync = (faults?: Faults, cfg: Partial<typeof RSYNC> = {}): SyncEngine => {
    const real = new RsyncEngine({ ...RSYNC, ...cfg });
    return faults === undefined ? real : new FaultyEngine(real, faults);
  };
  const onSlave = (name: string): string => fs.readFileSync(path.join(w.slave, name), 'utf8');

  describe('after a clean exit', () => {
    it('fails an item whose path names another file since planning (CHANGED_DURING_SYNC), never landing it as ok', async () => {
      await known(g1, 'p', 'planned content', 'slave copy');
      const items = [w.item(g1, 'p')];
      // Another file moved onto the planned path before rsync read it: its content must not
      // be accepted as g1's, though a clean exit and the master's current file agree with it.
      const other = w.file('other', 'a different file, moved in');
      fs.renameSync(other, path.join(w.master, 'p'));
      const r = await runBox(
        { sourceRoot: w.master, stagingDir: slave.staging, items, quickCheck: 'off', sparse: false, checkSettled: false },
        { slave, engine: rsync() },
      );
      expect(r.exitCode).to.equal(0);
      expect(codes(r.outcomes)).to.deep.equal(['CHANGED_DURING_SYNC']);
    });

    it('accepts an item its own file changed after planning but before rsync read it (same inode)', async () => {
      const src = await known(g1, 'p', 'planned', 'slave copy');
      const items = [w.item(g1, 'p')];
      fs.appendFileSync(src, ' and appended before the transfer');
      const r = await runBox(
        { sourceRoot: w.master, stagingDir: slave.staging, items, quickCheck: 'off', sparse: false, checkSettled: false },
        { slave, engine: rsync() },
      );
      expect(codes(r.outcomes)).to.deep.equal(['ok']);
      expect(onSlave('p')).to.equal('planned and appended before the transfer');
    });

    it('unwatched (a one-shot): a file rewritten during its copy, size and mtime put back, is CHANGED_DURING_SYNC; watched, the recorder resends it', async () => {
      for (const checkSettled of [true, false]) {
        const src = await known(g1, 'torn', 'planned content', 'old copy');
        // What a writer does while rsync reads: the data changes, size and mtime do not.
        const after = (): void => {
          fs.writeFileSync(src, 'PLANNED CONTENT');
          fs.utimesSync(src, MTIME, MTIME);
        };
        const r = await run([g1], rsync({ after }), 'off', checkSettled);
        expect(codes(r.outcomes), `checkSettled ${String(checkSettled)}`).to.deep.equal(
          checkSettled ? ['CHANGED_DURING_SYNC'] : ['ok'],
        );
      }
    });

    it('counts a committed item ok; one not committed is vanished when the master lost it, else RSYNC_FAILED', async () => {
      await known(g1, 'f', 'new', 'old');
      fs.unlinkSync(await known(g2, 'gone', 'x'));
      await known(g3, 'now a link', 'x');
      fs.rmSync(path.join(w.master, 'now a link'));
      fs.symlinkSync('f', path.join(w.master, 'now a link')); // rsync sends a symlink: not committed
      const r = await run([g1, g2, g3], rsync());
      expect([r.exitCode, r.fatal]).to.deep.equal([0, undefined]);
      expect(codes(r.outcomes)).to.deep.equal(['ok', 'vanished', 'RSYNC_FAILED']);
      expect(r.outcomes.map((o) => o.gfid)).to.deep.equal([g1, g2, g3]);
      expect(onSlave('f')).to.equal('new');
      expect(fs.readdirSync(slave.staging)).to.deep.equal([]);
    });

    it('sends nothing when the slave knows no item, and still removes the box', async () => {
      rel.set(g1, 'present');
      w.file('present', 'x');
      const r = await run([g1, g2], rsync());
      expect(codes(r.outcomes)).to.deep.equal(['GFID_UNKNOWN', 'vanished']);
      expect([r.exitCode, r.bytesSent]).to.deep.equal([undefined, 0]);
      expect(slave.calls.map((c) => [c.method, c.gfids])).to.deep.equal([
        ['stageData', [g1, g2]],
        ['commitData', []],
      ]);
      expect(fs.readdirSync(slave.staging)).to.deep.equal([]);
    });
  });

  describe('after a partial exit', () => {
    it('rsync 23: a vanished file is ok + vanished, a delivered one ok, an unplaceable one RSYNC_FAILED', async () => {
      fs.unlinkSync(await known(g1, 'vanished', 'x'));
      await known(g2, 'delivered', 'new content', 'old');
      await known(g3, 'blocked', 'new', 'old');
      // A slave user fills its staged name with a non-empty directory: rsync cannot place it.
      const r = await run([g1, g2, g3], rsync({ blocked: new Set(['blocked']) }));
      expect([r.exitCode, r.fatal]).to.deep.equal([23, undefined]);
      expect(codes(r.outcomes)).to.deep.equal(['vanished', 'ok', 'RSYNC_FAILED']);
      expect([onSlave('delivered'), onSlave('blocked')]).to.deep.equal(['new content', 'old']);
      expect(fs.readdirSync(slave.staging)).to.deep.equal([]);
    });

    it('accepts delivered files that match what was planned, though the master changed or deleted them since', async () => {
      const changed = await known(g1, 'changed', 'v1');
      const deleted = await known(g2, 'deleted', 'v1');
      const mtimeOnly = await known(g3, 'touched', 'v1');
      await known(g4, 'undelivered', 'x');
      const after = (): void => {
        fs.appendFileSync(changed, ' and more');
        fs.unlinkSync(deleted);
        // One nanosecond later, same size (node's utimes stops at microseconds; GNU touch does not).
        execFileSync('touch', ['-m', '-d', '@1700000000.250000001', mtimeOnly.toString()]);
        expect(fs.statSync(mtimeOnly, { bigint: true }).mtimeNs).to.equal(1_700_000_000_250_000_001n);
      };
      const r = await run([g1, g2, g3, g4], rsync({ undelivered: new Set(['undelivered']), after }));
      expect(r.exitCode).to.equal(23);
      // What landed is what was planned; the later changes are the next turn's (the index
      // records the planned attrs, which no longer match the master).
      expect(codes(r.outcomes)).to.deep.equal(['ok', 'ok', 'ok', 'RSYNC_FAILED']);
    });

    it("quick check 'off': a kept basis does not count even with the master's size and mtime; a replaced file does", async () => {
      // A D record: the content changed, size and mtime did not. rsync never got to `kept`.
      await known(g1, 'kept', 'NEW!', 'old!');
      await known(g2, 'replaced', 'NEW!', 'old!');
      const r = await run([g1, g2], rsync({ undelivered: new Set(['kept']) }), 'off');
      expect(codes(r.outcomes)).to.deep.equal(['RSYNC_FAILED', 'ok']);
      expect([onSlave('kept'), onSlave('replaced')]).to.deep.equal(['old!', 'NEW!']);
    });

    it("quick check 'ns': a kept basis with the master's size and mtime counts as delivered", async () => {
      await known(g1, 'kept', 'same', 'same');
      await known(g2, 'stale', 'NEWER', 'old');
      const r = await run([g1, g2], rsync({ undelivered: new Set(['kept', 'stale']) }), 'ns');
      expect(codes(r.outcomes)).to.deep.equal(['ok', 'RSYNC_FAILED']);
    });

    it('tar exit 2 (vanished member): the others are checked against the master and pass; an undelivered one is TAR_FAILED', async () => {
      fs.unlinkSync(await known(g1, 'vanished', 'x'));
      await known(g2, 'delivered', 'new content', 'old');
      await known(g3, 'undelivered', 'new', 'old');
      const r = await run(
        [g1, g2, g3],
        new FaultyEngine(new TarEngine({ useRsyncXattrs: false }), {
          undelivered: new Set(['undelivered']),
          exitCode: 2,
        }),
      );
      expect(r.exitCode).to.equal(2);
      expect(codes(r.outcomes)).to.deep.equal(['vanished', 'ok', 'TAR_FAILED']);
      expect(onSlave('delivered')).to.equal('new content');
    });
  });

  describe('after a fatal exit', () => {
    it('fails every sent item with the engine’s code; unknown items are judged as before; the box goes', async () => {
      await known(g1, 'a', 'a', 'old a');
      fs.unlinkSync(await known(g2, 'gone', 'x')); // vanished, but it was sent: the run failed as a whole
      rel.set(g3, 'unknown');
      w.file('unknown', 'x');
      const r = await run([g1, g2, g3], rsync(undefined, { rsyncOptions: '--no-such-option' }));
      expect(r.fatal?.code).to.equal('RSYNC_FAILED');
      expect(r.exitCode).to.equal(1);
      expect(codes(r.outcomes)).to.deep.equal(['RSYNC_FAILED', 'RSYNC_FAILED', 'GFID_UNKNOWN']);
      expect(onSlave('a')).to.equal('old a');
      // Committed all the same (nothing landed here): what did land would be kept, checked.
      expect(slave.calls.map((c) => [c.method, c.gfids.length])).to.deep.equal([
        ['stageData', 3],
        ['commitData', 2],
      ]);
      expect(fs.readdirSync(slave.staging)).to.deep.equal([]);
    });

    it('tar writes in place: a failed run commits nothing, so no cut-off file replaces a good copy', async () => {
      await known(g1, 'landed', 'new a', 'old a');
      await known(g2, 'cut', 'new b', 'old b');
      const fatal = new TransferError('TAR_FAILED', 'tar: write error: No space left on device', {
        argv: ['tar'],
        exitCode: 2,
        signal: undefined,
        stderrTail: 'No space left on device',
        durationMs: 1,
      });
      const r = await run([g1, g2], new FaultyEngine(new TarEngine({ useRsyncXattrs: false }), { fatal }));
      expect(codes(r.outcomes)).to.deep.equal(['TAR_FAILED', 'TAR_FAILED']);
      expect([onSlave('landed'), onSlave('cut')]).to.deep.equal(['old a', 'old b']);
      expect(fs.readdirSync(slave.staging)).to.deep.equal([]);
    });

    it('keeps the files that landed completely before the failure, each checked; fails the rest', async () => {
      await known(g1, 'landed', 'new a', 'old a');
      await known(g2, 'lost', 'new b', 'old b');
      const fatal = new TransferError(
        'RSYNC_FAILED',
        'rsync failed with exit code 11 (error in file I/O): No space left on device',
        {
          argv: ['rsync'],
          exitCode: 11,
          signal: undefined,
          stderrTail: 'No space left on device',
          durationMs: 1,
        },
      );
      const r = await run([g1, g2], rsync({ undelivered: new Set(['lost']), fatal }), 'off');
      expect(codes(r.outcomes)).to.deep.equal(['ok', 'RSYNC_FAILED']);
      expect([onSlave('landed'), onSlave('lost')]).to.deep.equal(['new a', 'old b']);
    });
  });
});
