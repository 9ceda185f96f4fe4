// RsyncEngine against real rsync: argv per quickCheck mode, the D-record trap, nanosecond
// quick check, sparse files, vanished sources, tolerated 23, fatal failures, abort.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import { KILL_GRACE_MS } from '../../src/syncer/constants.js';
import { buildRsyncCommand, parseBytesSent, RsyncEngine } from '../../src/syncer/rsync-engine.js';
import type { RsyncEngineConfig } from '../../src/syncer/rsync-engine.js';
import { classifyRsyncExit, rsyncExitMeaning } from '../../src/syncer/rsync-exit.js';
import { ExecaSpawner } from '../../src/syncer/spawner.js';
import { isTransferError } from '../../src/syncer/transfer-error.js';
import { firstEntryIn, processesMentioning } from './support/procs.js';
import { gfidOf, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

const CFG: RsyncEngineConfig = { rsyncCommand: 'rsync', rsyncOptions: '', useRsyncXattrs: false };
const engine = (cfg: Partial<RsyncEngineConfig> = {}): RsyncEngine =>
  new RsyncEngine({ ...CFG, ...cfg }, { spawner: new ExecaSpawner() });

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isTransferError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('RsyncEngine', () => {
  let w: World;
  const [g1, g2, g3] = [gfidOf(1), gfidOf(2), gfidOf(3)];
  const staged = (g: Gfid): string => path.join(w.staging, g);
  const req = (gfids: readonly Gfid[], quickCheck: 'off' | 'ns') => ({ farmDir: w.farm, stagingDir: w.staging, gfids, quickCheck });

  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  describe('command line', () => {
    const at = { farmDir: '/w/farm', stagingDir: '/s/staging' };

    it('bypasses the quick check for D jobs and compares nanoseconds for crawl jobs', () => {
      const off = buildRsyncCommand(CFG, { ...at, quickCheck: 'off' }).args;
      const ns = buildRsyncCommand(CFG, { ...at, quickCheck: 'ns' }).args;
      expect(off).to.include('--ignore-times').and.not.include('--modify-window=-1');
      expect(ns).to.include('--modify-window=-1').and.not.include('--ignore-times');
      for (const a of [off, ns]) {
        expect(a).to.include.members(['-aLS', '--numeric-ids', '--files-from=-', '--from0', '--ignore-missing-args', '--stats']);
        expect(a.slice(-2)).to.deep.equal(['/w/farm/', '/s/staging/']);
      }
    });

    it('adds -X, the rsync-options words and the rsync-command', () => {
      const cmd = buildRsyncCommand(
        { rsyncCommand: '/opt/bin/rsync', rsyncOptions: '  --bwlimit=10   --no-W ', useRsyncXattrs: true },
        { ...at, quickCheck: 'off' },
      );
      expect(cmd.file).to.equal('/opt/bin/rsync');
      expect(cmd.args).to.include.members(['-X', '--bwlimit=10', '--no-W']);
      expect(cmd.args).to.not.include('');
    });

    it('sends to host:staging/ through the ssh command for a remote slave', () => {
      const cmd = buildRsyncCommand({ ...CFG, remote: { host: 'u@h', sshCommand: 'ssh -oBatchMode=yes' } }, { ...at, quickCheck: 'ns' });
      expect(cmd.args.slice(-4)).to.deep.equal(['-e', 'ssh -oBatchMode=yes', '/w/farm/', 'u@h:/s/staging/']);
    });

    it('maps exit codes: 0 ok, 23/24 partial, others fatal', () => {
      expect(classifyRsyncExit(0)).to.equal('ok');
      expect(classifyRsyncExit(23)).to.equal('partial');
      expect(classifyRsyncExit(24)).to.equal('partial');
      for (const c of [1, 11, 12, 30, 255, 99]) expect(classifyRsyncExit(c)).to.equal('fatal');
      expect(rsyncExitMeaning(99)).to.be.a('string');
    });

    it('parses --stats bytes sent, with separators or -h units', () => {
      expect(parseBytesSent('Total bytes sent: 1,234,567\n')).to.equal(1234567);
      expect(parseBytesSent('Total bytes sent: 144\n')).to.equal(144);
      expect(parseBytesSent('Total bytes sent: 1.50K\n')).to.equal(1500);
      expect(parseBytesSent('nothing')).to.equal(0);
    });
  });

  it('sends farm targets into staging under their gfids', async () => {
    w.file(g1, 'a.txt', 'alpha');
    w.file(g2, 'dir/with space/b\nnewline', 'beta');
    const r = await engine().transfer(req([g1, g2], 'off'));
    expect(r.exitCode).to.equal(0);
    expect(r.partial).to.equal(false);
    expect(r.bytesSent).to.be.greaterThan(0);
    expect(r.argv[0]).to.equal('rsync');
    expect(fs.readFileSync(staged(g1), 'utf8')).to.equal('alpha');
    expect(fs.readFileSync(staged(g2), 'utf8')).to.equal('beta');
  });

  it("quickCheck 'off' resends a same-size rewrite with the same mtime; quick check would not", async () => {
    const src = w.file(g1, 'f', 'NEW!');
    fs.writeFileSync(staged(g1), 'old!'); // the basis: stale content, same size
    fs.utimesSync(src, 1_700_000_000, 1_700_000_000);
    fs.utimesSync(staged(g1), 1_700_000_000, 1_700_000_000);
    await engine().transfer(req([g1], 'ns'));
    expect(fs.readFileSync(staged(g1), 'utf8')).to.equal('old!'); // the trap a D record avoids
    await engine().transfer(req([g1], 'off'));
    expect(fs.readFileSync(staged(g1), 'utf8')).to.equal('NEW!');
  });

  it("quickCheck 'ns' skips an identical file and sends one whose mtime differs only in nanoseconds", async function () {
    const src = w.file(g1, 'same', 'same content');
    const src2 = w.file(g2, 'differs', 'AAAA');
    fs.writeFileSync(staged(g1), 'same content');
    fs.writeFileSync(staged(g2), 'BBBB');
    for (const p of [src, src2, staged(g1)]) fs.utimesSync(p, 1_700_000_000.5, 1_700_000_000.5);
    fs.utimesSync(staged(g2), 1_700_000_000.25, 1_700_000_000.25); // same second
    if (fs.statSync(src, { bigint: true }).mtimeNs % 1_000_000_000n !== 500_000_000n) this.skip(); // no ns mtimes here
    const inode = fs.statSync(staged(g1)).ino;
    await engine().transfer(req([g1, g2], 'ns'));
    expect(fs.statSync(staged(g1)).ino).to.equal(inode); // skipped: rsync would have replaced it
    expect(fs.readFileSync(staged(g2), 'utf8')).to.equal('AAAA');
  });

  it('keeps a sparse file sparse', async () => {
    const src = w.file(g1, 'sparse', '');
    const fd = fs.openSync(src, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 0);
    fs.ftruncateSync(fd, 64 << 20);
    fs.closeSync(fd);
    await engine().transfer(req([g1], 'off'));
    const st = fs.statSync(staged(g1));
    expect(st.size).to.equal(64 << 20);
    expect(st.blocks * 512).to.be.lessThan(1 << 20);
  });

  it('tolerates a vanished source: the others arrive, the vanished one is simply absent', async () => {
    const gone = w.file(g1, 'gone', 'bye');
    w.file(g2, 'stays', 'hi');
    fs.unlinkSync(gone);
    const r = await engine().transfer(req([g1, g2], 'off'));
    expect([0, 23, 24]).to.include(r.exitCode);
    expect(fs.existsSync(staged(g1))).to.equal(false);
    expect(fs.readFileSync(staged(g2), 'utf8')).to.equal('hi');
  });

  it('tolerates exit 23 and names the gfid rsync could not place', async () => {
    w.file(g1, 'blocked', 'x');
    w.file(g2, 'fine', 'y');
    fs.mkdirSync(path.join(staged(g1), 'sub'), { recursive: true }); // a non-empty dir in the way
    const r = await engine().transfer(req([g1, g2], 'off'));
    expect(r.exitCode).to.equal(23);
    expect(r.partial).to.equal(true);
    expect([...r.itemErrors.keys()]).to.deep.equal([g1]);
    expect(fs.readFileSync(staged(g2), 'utf8')).to.equal('y');
  });

  it('fails the run with RSYNC_FAILED on a bogus rsync option', async () => {
    w.file(g1, 'a', 'a');
    const err = await engine({ rsyncOptions: '--no-such-option' })
      .transfer(req([g1], 'off'))
      .then(() => undefined, (e: unknown) => e);
    expect(isTransferError(err) && err.code).to.equal('RSYNC_FAILED');
    expect(isTransferError(err) && err.exitCode).to.equal(1);
    expect(isTransferError(err) && err.stderrTail).to.not.equal('');
  });

  it('fails with RSYNC_FAILED when staging cannot be written, or rsync cannot be run', async () => {
    w.file(g1, 'a', 'a');
    const notADir = path.join(w.base, 'plain-file');
    fs.writeFileSync(notADir, '');
    expect(await codeOf(engine().transfer({ ...req([g1], 'off'), stagingDir: path.join(notADir, 'staging') }))).to.equal('RSYNC_FAILED');
    expect(await codeOf(engine({ rsyncCommand: path.join(w.base, 'no-rsync') }).transfer(req([g1], 'off')))).to.equal('RSYNC_FAILED');
  });

  it('abort kills rsync and its forked receiver at once (process group), with code ABORTED', async () => {
    const src = w.file(g3, 'big', '');
    fs.writeFileSync(src, Buffer.alloc(8 << 20, 7));
    const ac = new AbortController();
    const watch = firstEntryIn(w.staging); // rsync's temp file: the receiver is running
    void watch.created.then(() => ac.abort());
    try {
      const running = engine({ rsyncOptions: '--bwlimit=64' }).transfer({ ...req([g3], 'off'), signal: ac.signal });
      await watch.created;
      const abortedAt = process.hrtime.bigint();
      expect(await codeOf(running)).to.equal('ABORTED');
      expect(Number(process.hrtime.bigint() - abortedAt) / 1e6).to.be.lessThan(KILL_GRACE_MS);
      expect(processesMentioning(w.staging)).to.deep.equal([]);
    } finally {
      watch.close();
    }
  });
});
