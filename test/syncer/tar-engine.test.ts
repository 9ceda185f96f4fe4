// TarEngine against real GNU tar: argv, a basic transfer, sparse files, vanished members
// tolerated (exit 2 with only "Cannot stat"), and a broken extracting side -> TAR_FAILED.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import { ExecaSpawner } from '../../src/syncer/spawner.js';
import { buildTarCommands, TarEngine } from '../../src/syncer/tar-engine.js';
import type { TarEngineConfig } from '../../src/syncer/tar-engine.js';
import { isTransferError } from '../../src/syncer/transfer-error.js';
import { gfidOf, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

const CFG: TarEngineConfig = { useRsyncXattrs: false, sameOwner: false };
const engine = (cfg: Partial<TarEngineConfig> = {}): TarEngine => new TarEngine({ ...CFG, ...cfg }, { spawner: new ExecaSpawner() });

describe('TarEngine', () => {
  let w: World;
  const [g1, g2] = [gfidOf(1), gfidOf(2)];
  const staged = (g: Gfid): string => path.join(w.staging, g);
  const req = (gfids: readonly Gfid[]) => ({ farmDir: w.farm, stagingDir: w.staging, gfids, quickCheck: 'off' as const });

  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  it('builds tar -c | tar -x, with owners and xattrs on request', () => {
    const at = { farmDir: '/w/farm', stagingDir: '/s/st' };
    const plain = buildTarCommands(CFG, at);
    expect(plain.source.args).to.include.members(['-C', '/w/farm', '--null', '-T', '-', '-h', '-c', '-S', '--format=posix']);
    expect(plain.dest.args).to.deep.equal(['-C', '/s/st', '-x', '-f', '-', '--numeric-owner']);
    const full = buildTarCommands({ useRsyncXattrs: true, sameOwner: true }, at);
    expect(full.source.args).to.include('--xattrs');
    expect(full.dest.args).to.include.members(['--same-owner', '--xattrs']);
  });

  it('extracts through ssh on a remote host, the remote command quoted', () => {
    const { dest } = buildTarCommands({ ...CFG, remote: { host: 'u@h', sshCommand: 'ssh -p 2222' } }, { farmDir: '/f', stagingDir: "/s/it's" });
    expect(dest.file).to.equal('ssh');
    expect(dest.args.slice(0, 3)).to.deep.equal(['-p', '2222', 'u@h']);
    expect(dest.args[3]).to.equal(`tar -C '/s/it'\\''s' -x -f - --numeric-owner`);
  });

  it('sends whole files into staging under their gfids', async () => {
    w.file(g1, 'a', 'alpha');
    w.file(g2, 'sub dir/b', 'beta');
    const e = engine();
    expect(e.usesBasis).to.equal(false);
    const r = await e.transfer(req([g1, g2]));
    expect(r.exitCode).to.equal(0);
    expect(r.bytesSent).to.be.greaterThan(0);
    expect(fs.readFileSync(staged(g1), 'utf8')).to.equal('alpha');
    expect(fs.readFileSync(staged(g2), 'utf8')).to.equal('beta');
  });

  it('keeps a sparse file sparse', async () => {
    const src = w.file(g1, 'sparse', 'head');
    fs.truncateSync(src, 32 << 20);
    await engine().transfer(req([g1]));
    const st = fs.statSync(staged(g1));
    expect(st.size).to.equal(32 << 20);
    expect(st.blocks * 512).to.be.lessThan(1 << 20);
  });

  it('tolerates vanished members (exit 2, only "Cannot stat") and names them', async () => {
    const gone = w.file(g1, 'gone', 'x');
    w.file(g2, 'stays', 'y');
    fs.unlinkSync(gone);
    const r = await engine().transfer(req([g1, g2]));
    expect(r.exitCode).to.equal(2);
    expect(r.partial).to.equal(true);
    expect([...r.itemErrors.keys()]).to.deep.equal([g1]);
    expect(fs.readFileSync(staged(g2), 'utf8')).to.equal('y');
  });

  it('fails with TAR_FAILED when the extracting side cannot work', async () => {
    w.file(g1, 'a', 'a');
    const err = await engine()
      .transfer({ ...req([g1]), stagingDir: path.join(w.base, 'no-such-dir') })
      .then(() => undefined, (e: unknown) => e);
    expect(isTransferError(err) && err.code).to.equal('TAR_FAILED');
  });
});
