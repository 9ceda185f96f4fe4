// RsyncEngine against real rsync: argv per quickCheck mode, the D-record trap, nanosecond
// quick check, sparse files, raw-byte paths, no implied dirs, symlinks not followed, vanished
// sources, tolerated 23, fatal failures, abort.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { KILL_GRACE_MS } from '../../src/syncer/constants.js';
import { buildRsyncCommand, parseBytesSent, RsyncEngine } from '../../src/syncer/rsync-engine.js';
import type { RsyncEngineConfig } from '../../src/syncer/rsync-engine.js';
import { classifyRsyncExit, rsyncExitMeaning } from '../../src/syncer/rsync-exit.js';
import { ExecaSpawner } from '../../src/syncer/spawner.js';
import { isTransferError } from '../../src/syncer/transfer-error.js';
import { rsyncSeedCommand } from '../../src/syncer/seed-copy.js';
import { loadSchema } from '../../src/cli/options.js';
import { firstEntryIn, processesMentioning } from './support/procs.js';
import { makeWorld, under } from './support/world.js';
import type { World } from './support/world.js';
import { codeOfAsync } from '../support/error-code.js';

const CFG: RsyncEngineConfig = { rsyncCommand: 'rsync', rsyncOptions: '', useRsyncXattrs: false };
const engine = (cfg: Partial<RsyncEngineConfig> = {}): RsyncEngine =>
  new RsyncEngine({ ...CFG, ...cfg }, { spawner: new ExecaSpawner() });

describe('RsyncEngine', () => {
  let w: World;
  /** The box folder the engine fills (made by w.box, as the agent's stageData would). */
  let boxDir: string;
  const staged = (rel: string | Buffer): Buffer => under(boxDir, rel);
  /** A transfer of master paths `rels` into a fresh box holding their parent folders. */
  const req = (rels: readonly (string | Buffer)[], quickCheck: 'off' | 'ns', sparse = false) => {
    boxDir = w.box('b1', rels);
    return {
      sourceRoot: w.master,
      stagingDir: boxDir,
      paths: rels.map((r) => (Buffer.isBuffer(r) ? r : Buffer.from(r))),
      quickCheck,
      sparse,
    };
  };

  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  describe('command line', () => {
    const at = { sourceRoot: '/w/master', stagingDir: '/s/staging/b1', sparse: false };

    it('runs -S (sparse) only for a box of sparse files', () => {
      expect(buildRsyncCommand(CFG, { ...at, quickCheck: 'off' }).args)
        .to.include('-a')
        .and.not.include('-aS');
      expect(buildRsyncCommand(CFG, { ...at, quickCheck: 'off', sparse: true }).args).to.include('-aS');
    });

    it('bypasses the quick check for D jobs and compares nanoseconds for crawl jobs', () => {
      const off = buildRsyncCommand(CFG, { ...at, quickCheck: 'off' }).args;
      const ns = buildRsyncCommand(CFG, { ...at, quickCheck: 'ns' }).args;
      expect(off).to.include('--ignore-times').and.not.include('--modify-window=-1');
      expect(ns).to.include('--modify-window=-1').and.not.include('--ignore-times');
      for (const a of [off, ns]) {
        expect(a).to.include.members([
          '-a',
          '--numeric-ids',
          '--files-from=-',
          '--from0',
          '--ignore-missing-args',
          '--no-implied-dirs',
          '--stats',
        ]);
        // Never -L nor --copy-links: a master symlink is sent as a symlink, never followed.
        expect(a.filter((x) => /^-[a-zA-Z]*L/.test(x) || x === '--copy-links')).to.deep.equal([]);
        expect(a.slice(-2)).to.deep.equal(['/w/master/', '/s/staging/b1/']);
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
      const cmd = buildRsyncCommand(
        { ...CFG, remote: { host: 'u@h', sshCommand: 'ssh -oBatchMode=yes' } },
        { ...at, quickCheck: 'ns' },
      );
      expect(cmd.args.slice(-4)).to.deep.equal(['-e', 'ssh -oBatchMode=yes', '/w/master/', 'u@h:/s/staging/b1/']);
    });

    it("compresses a remote box as compress and compress-level say (0: the codec's own level); the seed streams alike", () => {
      const remote = { host: 'u@h', sshCommand: 'ssh' };
      const box = (compress: RsyncEngineConfig['compress'], compressLevel: number): string[] =>
        buildRsyncCommand({ ...CFG, remote, compress, compressLevel }, { ...at, quickCheck: 'ns' }).args.filter((a) =>
          a.startsWith('--compress'),
        );
      expect(box('zstd', 1)).to.deep.equal(['--compress', '--compress-choice=zstd', '--compress-level=1']);
      expect(box('zlib', 0)).to.deep.equal(['--compress', '--compress-choice=zlib']);
      expect(box('off', 1)).to.deep.equal([]);
      expect(box('ssh', 1)).to.deep.equal([]); // ssh compresses the connection instead
      const seed = rsyncSeedCommand(
        { sourceRoot: '/m', destDir: '/s', xattrs: false, compress: 'zstd', compressLevel: 1 },
        remote,
      );
      expect(seed.args).to.include('--compress-level=1');
      expect(loadSchema().options.get('compress-level')?.defaultValue).to.equal(1);
    });

    it('gives remote streams rsync --timeout (slave-timeout): a peer that stops answering ends the run (exit 30) instead of a silent stall', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-rsync-timeout-'));
      try {
        // A "remote shell" that connects and then says nothing: the peer of a dead ssh channel.
        const stall = path.join(dir, 'stall.sh');
        fs.writeFileSync(stall, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
        fs.mkdirSync(path.join(dir, 'master'));
        fs.writeFileSync(path.join(dir, 'master', 'f'), 'x');
        const remote = { host: 'h', sshCommand: stall, ioTimeoutS: 1 };
        const box = buildRsyncCommand(
          { ...CFG, remote },
          { ...at, sourceRoot: path.join(dir, 'master'), quickCheck: 'ns' },
        );
        const seed = rsyncSeedCommand(
          {
            sourceRoot: path.join(dir, 'master'),
            destDir: '/nowhere',
            xattrs: false,
            compress: 'off',
            compressLevel: 0,
          },
          remote,
        );
        for (const cmd of [box, seed]) {
          expect(cmd.args).to.include('--timeout=1');
          const started = Date.now();
          const r = spawnSync(cmd.file, cmd.args, { input: './f\0', timeout: 20_000, encoding: 'utf8' });
          expect(r.status, r.stderr).to.equal(30);
          expect(Date.now() - started, 'ended by its own timeout').to.be.below(15_000);
        }
        expect(
          buildRsyncCommand(CFG, { ...at, quickCheck: 'ns' }).args.some((a) => a.startsWith('--timeout')),
        ).to.equal(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
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

  it('sends master files into the box at their master paths, any bytes in the names', async () => {
    const odd = Buffer.concat([Buffer.from('dir/with space/b\nnew'), Buffer.of(0xff, 0xfe), Buffer.from('line')]);
    w.file('a.txt', 'alpha');
    w.file(odd, 'beta');
    w.file('not sent', 'gamma');
    const r = await engine().transfer(req(['a.txt', odd], 'off'));
    expect(r.exitCode).to.equal(0);
    expect(r.partial).to.equal(false);
    expect(r.bytesSent).to.be.greaterThan(0);
    expect(r.argv[0]).to.equal('rsync');
    expect(fs.readFileSync(staged('a.txt'), 'utf8')).to.equal('alpha');
    expect(fs.readFileSync(staged(odd), 'utf8')).to.equal('beta');
    expect(fs.readdirSync(boxDir).sort()).to.deep.equal(['a.txt', 'dir']);
  });

  it('sends names that rsync would take for comments or options: leading #, ;, -, .. at the top and below', async () => {
    // rsync drops --files-from lines that begin with '#' or ';', even with --from0.
    const rels = ['#hash', ';semi', '-dash', '--delete', '..dots', '...', '#dir/f', ';d/#g', 'd/..x/;y'];
    for (const r of rels) w.file(r, `content of ${r}`);
    const r = await engine().transfer(req(rels, 'off'));
    expect(r.exitCode).to.equal(0);
    for (const rel of rels) expect(fs.readFileSync(staged(rel), 'utf8')).to.equal(`content of ${rel}`);
  });

  it('keeps the box folders the agent made: a master folder swapped for a symlink stays a folder in the box', async () => {
    const elsewhere = path.join(w.base, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'f'), 'via the link');
    fs.symlinkSync(elsewhere, path.join(w.master, 'd'));
    const out = await engine().transfer(req(['d/f'], 'off'));
    expect(out.exitCode).to.equal(0);
    expect(fs.lstatSync(staged('d')).isDirectory()).to.equal(true);
    expect(fs.lstatSync(staged('d/f')).isFile()).to.equal(true);
  });

  it('sends a master symlink as a symlink, never what it points at', async () => {
    w.file('secret', 'do not follow');
    fs.symlinkSync(path.join(w.master, 'secret'), path.join(w.master, 'ln'));
    await engine().transfer(req(['ln'], 'off'));
    expect(fs.lstatSync(staged('ln')).isSymbolicLink()).to.equal(true);
  });

  it("quickCheck 'off' resends a same-size rewrite with the same mtime; quick check would not", async () => {
    const src = w.file('f', 'NEW!');
    const r = req(['f'], 'ns');
    fs.writeFileSync(staged('f'), 'old!'); // the basis: stale content, same size
    fs.utimesSync(src, 1_700_000_000, 1_700_000_000);
    fs.utimesSync(staged('f'), 1_700_000_000, 1_700_000_000);
    await engine().transfer(r);
    expect(fs.readFileSync(staged('f'), 'utf8')).to.equal('old!'); // the trap a D record avoids
    await engine().transfer({ ...r, quickCheck: 'off' });
    expect(fs.readFileSync(staged('f'), 'utf8')).to.equal('NEW!');
  });

  it("quickCheck 'ns' skips an identical file and sends one whose mtime differs only in nanoseconds", async () => {
    const src = w.file('same', 'same content');
    const src2 = w.file('differs', 'AAAA');
    const r = req(['same', 'differs'], 'ns');
    fs.writeFileSync(staged('same'), 'same content');
    fs.writeFileSync(staged('differs'), 'BBBB');
    for (const p of [src, src2, staged('same')]) fs.utimesSync(p, 1_700_000_000.5, 1_700_000_000.5);
    fs.utimesSync(staged('differs'), 1_700_000_000.25, 1_700_000_000.25); // same second
    // The tmpdir must keep sub-second mtimes (the partial-exit check compares them to the ns too).
    expect(fs.statSync(src, { bigint: true }).mtimeNs % 1_000_000_000n).to.equal(500_000_000n);
    const inode = fs.statSync(staged('same')).ino;
    await engine().transfer(r);
    expect(fs.statSync(staged('same')).ino).to.equal(inode); // skipped: rsync would have replaced it
    expect(fs.readFileSync(staged('differs'), 'utf8')).to.equal('AAAA');
    expect(fs.statSync(staged('differs'), { bigint: true }).mtimeNs).to.equal(
      fs.statSync(src2, { bigint: true }).mtimeNs,
    );
  });

  it('keeps a sparse file sparse', async () => {
    const src = w.file('sparse', '');
    const fd = fs.openSync(src, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 0);
    fs.ftruncateSync(fd, 64 << 20);
    fs.closeSync(fd);
    await engine().transfer(req(['sparse'], 'off', true));
    const st = fs.statSync(staged('sparse'));
    expect(st.size).to.equal(64 << 20);
    expect(st.blocks * 512).to.be.lessThan(1 << 20);
  });

  it('tolerates a vanished source (--ignore-missing-args): the others arrive, the vanished one is simply absent', async () => {
    const gone = w.file('gone', 'bye');
    w.file('stays', 'hi');
    fs.unlinkSync(gone);
    const r = await engine().transfer(req(['gone', 'stays'], 'off'));
    expect([r.exitCode, r.partial]).to.deep.equal([0, false]);
    expect(fs.existsSync(staged('gone'))).to.equal(false);
    expect(fs.readFileSync(staged('stays'), 'utf8')).to.equal('hi');
  });

  it('tolerates exit 23 as partial: what it could place arrives', async () => {
    w.file('blocked', 'x');
    w.file('fine', 'y');
    const r = req(['blocked', 'fine'], 'off');
    fs.mkdirSync(path.join(boxDir, 'blocked', 'sub'), { recursive: true }); // a non-empty dir in the way
    const out = await engine().transfer(r);
    expect([out.exitCode, out.partial]).to.deep.equal([23, true]);
    expect(out.stderrTail).to.not.equal('');
    expect(fs.readFileSync(staged('fine'), 'utf8')).to.equal('y');
    expect(fs.lstatSync(staged('blocked')).isDirectory()).to.equal(true);
  });

  it('fails the run with RSYNC_FAILED on a bogus rsync option', async () => {
    w.file('a', 'a');
    const err = await engine({ rsyncOptions: '--no-such-option' })
      .transfer(req(['a'], 'off'))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTransferError(err) && err.code).to.equal('RSYNC_FAILED');
    expect(isTransferError(err) && err.exitCode).to.equal(1);
    expect(isTransferError(err) && err.stderrTail).to.not.equal('');
  });

  it('fails with RSYNC_FAILED when staging cannot be written, or rsync cannot be run', async () => {
    w.file('a', 'a');
    const notADir = path.join(w.base, 'plain-file');
    fs.writeFileSync(notADir, '');
    expect(
      await codeOfAsync(engine().transfer({ ...req(['a'], 'off'), stagingDir: path.join(notADir, 'b1') })),
    ).to.equal('RSYNC_FAILED');
    expect(
      await codeOfAsync(engine({ rsyncCommand: path.join(w.base, 'no-rsync') }).transfer(req(['a'], 'off'))),
    ).to.equal('RSYNC_FAILED');
  });

  it('abort kills rsync and its forked receiver at once (process group), with code ABORTED', async () => {
    w.file('big', Buffer.alloc(8 << 20, 7));
    const r = req(['big'], 'off');
    const ac = new AbortController();
    const watch = firstEntryIn(boxDir); // rsync's temp file: the receiver is running
    void watch.created.then(() => ac.abort());
    try {
      const running = engine({ rsyncOptions: '--bwlimit=64' }).transfer({ ...r, signal: ac.signal });
      await watch.created;
      const abortedAt = process.hrtime.bigint();
      expect(await codeOfAsync(running)).to.equal('ABORTED');
      expect(Number(process.hrtime.bigint() - abortedAt) / 1e6).to.be.lessThan(KILL_GRACE_MS);
      expect(processesMentioning(w.staging)).to.deep.equal([]);
    } finally {
      watch.close();
    }
  });
});
