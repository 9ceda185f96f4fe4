// hello: slave root creation, slaveId and stime persistence, the volume mark (FOREIGN_MASTER,
// rebind), unwritable roots, a corrupt index.

import { expect } from 'chai';
import { existsSync, lstatSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError } from '../../src/errors.js';
import { cleanupTemps, helloParams, makeTemp, newGfid, startAgent } from './harness.js';
import { PROTOCOL_VERSION } from '../../src/slave/index.js';
import type { Methods } from '../../src/slave/index.js';

type HelloResult = Methods['hello']['result'];

/** One connection: hello, an optional step, bye. Returns the hello result or the error code. */
async function session(
  root: string,
  over: Partial<Methods['hello']['params']> = {},
  then?: (a: ReturnType<typeof startAgent>) => Promise<void>,
): Promise<HelloResult | string> {
  const a = startAgent(root);
  try {
    const r = await a.client.call('hello', helloParams(over));
    await then?.(a);
    return r;
  } catch (e) {
    if (e instanceof GeorepError) return e.code;
    throw e;
  } finally {
    await a.client.close();
    await a.done;
  }
}

const ok = (r: HelloResult | string): HelloResult => {
  if (typeof r === 'string') throw new Error(`hello failed: ${r}`);
  return r;
};

describe('slave/hello', () => {
  afterEach(cleanupTemps);

  it('creates a missing root (mkdir -p) and a private .georep with index and staging', async () => {
    const root = join(makeTemp(), 'a', 'b', 'slave');
    const r = ok(await session(root));
    expect(r.version).to.equal(PROTOCOL_VERSION);
    expect(r.stagingDir).to.equal(join(realpathSync(root), '.georep', 'staging'));
    expect(r.isRoot).to.equal(process.getuid?.() === 0);
    expect(r.stimeMs).to.equal(null);
    expect(lstatSync(join(root, '.georep')).mode & 0o777).to.equal(0o700);
    expect(existsSync(join(root, '.georep', 'index.db'))).to.equal(true);
    expect(r.slaveId).to.match(/^[0-9a-f-]{36}$/);
  });

  it('keeps slaveId and stime across connections; another root gets another slaveId', async () => {
    const root = join(makeTemp(), 'slave');
    const first = ok(await session(root, {}, async (a) => void (await a.client.call('setStime', { stimeMs: 42 }))));
    const again = ok(await session(root));
    expect([again.slaveId, again.stimeMs]).to.deep.equal([first.slaveId, 42]);
    expect(ok(await session(join(makeTemp(), 'other'))).slaveId).to.not.equal(first.slaveId);
  });

  it('refuses a foreign master with FOREIGN_MASTER; rebind takes over and drops the old stime', async () => {
    const root = join(makeTemp(), 'slave');
    const other = newGfid();
    ok(await session(root, {}, async (a) => void (await a.client.call('setStime', { stimeMs: 99 }))));
    expect(await session(root, { masterVolume: other })).to.equal('FOREIGN_MASTER');
    const rebound = ok(await session(root, { masterVolume: other, rebind: true }));
    expect(rebound.stimeMs).to.equal(null);
    expect(await session(root)).to.equal('FOREIGN_MASTER');
    expect(ok(await session(root, { masterVolume: other })).slaveId).to.equal(rebound.slaveId);
  });

  it('fails SLAVE_UNWRITABLE when the root cannot be created', async () => {
    const file = join(makeTemp(), 'file');
    writeFileSync(file, 'x');
    expect(await session(join(file, 'slave'))).to.equal('SLAVE_UNWRITABLE');
  });

  it('refuses a .georep that is a symlink (PATH_ESCAPES_ROOT)', async () => {
    const root = join(makeTemp(), 'slave');
    mkdirSync(root);
    symlinkSync(makeTemp(), join(root, '.georep'));
    expect(await session(root)).to.equal('PATH_ESCAPES_ROOT');
  });

  it('moves a corrupt index aside and starts afresh', async () => {
    const root = join(makeTemp(), 'slave');
    const first = ok(await session(root));
    writeFileSync(join(root, '.georep', 'index.db'), 'this is not a database, just garbage bytes '.repeat(100));
    const again = ok(await session(root));
    expect(again.slaveId).to.not.equal(first.slaveId);
  });
});
