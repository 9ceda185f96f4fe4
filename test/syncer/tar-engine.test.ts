// TarEngine against real GNU tar: argv, a basic transfer at master paths (any bytes), sparse
// files, symlinks archived as symlinks, vanished members tolerated (exit 2 with only "Cannot
// stat"), and a broken extracting side -> TAR_FAILED.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ExecaSpawner } from '../../src/syncer/spawner.js';
import { buildTarCommands, TarEngine } from '../../src/syncer/tar-engine.js';
import type { TarEngineConfig } from '../../src/syncer/tar-engine.js';
import { isTransferError } from '../../src/syncer/transfer-error.js';
import { makeWorld, under } from './support/world.js';
import type { World } from './support/world.js';

const CFG: TarEngineConfig = { useRsyncXattrs: false, sameOwner: false };
const engine = (cfg: Partial<TarEngineConfig> = {}): TarEngine =>
  new TarEngine({ ...CFG, ...cfg }, { spawner: new ExecaSpawner() });

describe('TarEngine', () => {
  let w: World;
  /** The box folder the engine fills (made by w.box, as the agent's stageData would). */
  let boxDir: string;
  const staged = (rel: string | Buffer): Buffer => under(boxDir, rel);
  const req = (rels: readonly (string | Buffer)[]) => {
    boxDir = w.box('b1', rels);
    return {
      sourceRoot: w.master,
      stagingDir: boxDir,
      paths: rels.map((r) => (Buffer.isBuffer(r) ? r : Buffer.from(r))),
      quickCheck: 'off' as const,
      sparse: true,
    };
  };

  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  it('builds tar -c | tar -x, with owners and xattrs on request', () => {
    const at = { sourceRoot: '/w/master', stagingDir: '/s/st/b1', sparse: false };
    const plain = buildTarCommands(CFG, at);
    expect(plain.source.args.slice(0, 3)).to.deep.equal(['--no-unquote', '-C', '/w/master']);
    expect(plain.source.args).to.include.members(['--null', '-T', '-', '-c', '-S', '--format=posix']);
    // Never -h (--dereference): a master symlink is archived as a symlink, never followed.
    expect(plain.source.args.filter((x) => x === '-h' || x === '--dereference')).to.deep.equal([]);
    expect(plain.dest.args).to.deep.equal(['--no-unquote', '-C', '/s/st/b1', '-x', '-f', '-', '--numeric-owner']);
    const full = buildTarCommands({ useRsyncXattrs: true, sameOwner: true }, at);
    expect(full.source.args).to.include('--xattrs');
    expect(full.dest.args).to.include.members(['--same-owner', '--xattrs']);
  });

  it('extracts through ssh on a remote host, the remote command quoted', () => {
    const { dest } = buildTarCommands(
      { ...CFG, remote: { host: 'u@h', sshCommand: 'ssh -p 2222' } },
      { sourceRoot: '/m', stagingDir: "/s/it's" },
    );
    expect(dest.file).to.equal('ssh');
    expect(dest.args.slice(0, 3)).to.deep.equal(['-p', '2222', 'u@h']);
    expect(dest.args[3]).to.equal(`tar --no-unquote -C '/s/it'\\''s' -x -f - --numeric-owner`);
  });

  it('sends whole files into the box at their master paths, any bytes in the names, mtimes to the nanosecond', async () => {
    const odd = Buffer.concat([Buffer.from('sub dir/b\nnew'), Buffer.of(0xff), Buffer.from('line')]);
    const a = w.file('a', 'alpha');
    w.file(odd, 'beta');
    w.file('not sent', 'gamma');
    fs.utimesSync(a, 1_700_000_000.123456, 1_700_000_000.123456);
    const e = engine();
    expect(e.usesBasis).to.equal(false);
    const r = await e.transfer(req(['a', odd]));
    expect([r.exitCode, r.partial]).to.deep.equal([0, false]);
    expect(r.bytesSent).to.be.greaterThan(0);
    expect(fs.readFileSync(staged('a'), 'utf8')).to.equal('alpha');
    expect(fs.readFileSync(staged(odd), 'utf8')).to.equal('beta');
    expect(fs.readdirSync(boxDir).sort()).to.deep.equal(['a', 'sub dir']);
    // The Syncer compares size and mtime after a partial exit: the archive must keep nanoseconds.
    expect(fs.statSync(staged('a'), { bigint: true }).mtimeNs).to.equal(fs.statSync(a, { bigint: true }).mtimeNs);
  });

  it('takes root and box paths holding backslash escapes literally (tar would read q\\101 as qA)', async () => {
    const odd = path.join(w.base, 'm q\\101 \\b');
    fs.mkdirSync(odd);
    fs.writeFileSync(path.join(odd, 'f'), 'literal');
    const box = path.join(w.base, 'box \\101');
    fs.mkdirSync(box);
    const r = await engine().transfer({ ...req(['f']), sourceRoot: odd, stagingDir: box });
    expect(r.exitCode).to.equal(0);
    expect(fs.readFileSync(path.join(box, 'f'), 'utf8')).to.equal('literal');
  });

  it('archives a master symlink as a symlink, never what it points at', async () => {
    w.file('secret', 'do not follow');
    fs.symlinkSync(path.join(w.master, 'secret'), path.join(w.master, 'ln'));
    await engine().transfer(req(['ln']));
    expect(fs.lstatSync(staged('ln')).isSymbolicLink()).to.equal(true);
  });

  it('keeps a sparse file sparse', async () => {
    const src = w.file('sparse', 'head');
    fs.truncateSync(src, 32 << 20);
    await engine().transfer(req(['sparse']));
    const st = fs.statSync(staged('sparse'));
    expect(st.size).to.equal(32 << 20);
    expect(st.blocks * 512).to.be.lessThan(1 << 20);
  });

  it('tolerates vanished members (exit 2, only "Cannot stat") as partial: the others arrive', async () => {
    const gone = w.file('gone dir/gone', 'x');
    w.file('stays', 'y');
    fs.unlinkSync(gone);
    const r = await engine().transfer(req(['gone dir/gone', 'stays']));
    expect([r.exitCode, r.partial]).to.deep.equal([2, true]);
    expect(fs.existsSync(staged('gone dir/gone'))).to.equal(false);
    expect(fs.readFileSync(staged('stays'), 'utf8')).to.equal('y');
  });

  it('fails with TAR_FAILED when the extracting side cannot work', async () => {
    w.file('a', 'a');
    const err = await engine()
      .transfer({ ...req(['a']), stagingDir: path.join(w.base, 'no-such-dir') })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTransferError(err) && err.code).to.equal('TAR_FAILED');
  });
});
