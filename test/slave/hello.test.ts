// hello: slave root creation, slaveId and stime persistence, the volume mark (FOREIGN_MASTER,
// rebind), unwritable roots, a corrupt index (quarantined at hello, condemned when a request
// meets it).

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  writeSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GeorepError } from '../../src/errors.js';
import { ROOT_GFID, apply, cleanupTemps, helloParams, makeTemp, newGfid, ops, startAgent } from './harness.js';
import { eventLogger } from '../support/event-log.js';
import type { Logger } from '../../src/log.js';
import { PROTOCOL_VERSION } from '../../src/slave/index.js';
import type { Methods } from '../../src/slave/index.js';

type HelloResult = Methods['hello']['result'];

/** One connection: hello, an optional step, bye. Returns the hello result or the error code. */
async function session(
  root: string,
  over: Partial<Methods['hello']['params']> = {},
  then?: (a: ReturnType<typeof startAgent>) => Promise<void>,
  log?: Logger,
): Promise<HelloResult | string> {
  const a = startAgent(root, log === undefined ? {} : { log });
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

  it('quarantines at hello an index whose middle pages are garbage (quick_check), keeping the volume mark', async () => {
    const root = join(makeTemp(), 'slave');
    const first = ok(await session(root));
    const file = join(root, '.georep', 'index.db');
    const db = new Database(file);
    db.transaction(() => {
      const add = db.prepare('INSERT INTO names (pargfid, name, gfid) VALUES (?, ?, ?)');
      for (let i = 0; i < 4000; i++) add.run(ROOT_GFID, Buffer.from(`a-longer-entry-name-${i}`), newGfid());
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const size = readFileSync(file).length;
    const junk = Buffer.alloc(4096 * 4, 0xa5);
    const bytes = readFileSync(file);
    junk.copy(bytes, Math.floor(size / 4096 / 2) * 4096);
    writeFileSync(file, bytes);

    const { log, events } = eventLogger();
    const again = ok(await session(root, {}, undefined, log));
    expect(again.slaveId, 'a new index, so the master sends everything again').to.not.equal(first.slaveId);
    const quarantined = events.filter((e) => e['event'] === 'state_quarantined');
    expect(quarantined).to.have.lengthOf(1);
    const aside = String(quarantined[0]?.['quarantined']);
    expect(aside).to.match(
      new RegExp(`^${realpathSync(root)}/\\.georep/index\\.db\\.corrupt-\\d{8}T\\d{6}\\.\\d{3}Z$`),
    );
    expect(existsSync(aside)).to.equal(true);
    expect(await session(root, { masterVolume: newGfid() }), 'still bound to its master').to.equal('FOREIGN_MASTER');
  });

  it("says the slave host's disk is full where its index is, when SQLite cannot grow it (a tmpfs of its own: root, as CI)", async function () {
    // "database or disk is full" named neither the host nor the place (remote probe).
    const base = makeTemp();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', base]);
    try {
      const a = startAgent(join(base, 'slave'));
      await a.client.call('hello', helloParams());
      const fd = openSync(join(base, 'filler'), 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
      } catch {
        // ENOSPC: the disk is full now
      } finally {
        closeSync(fd);
      }
      const names = Array.from({ length: 400 }, (_, i) => ops.mkdir(newGfid(), ROOT_GFID, `d${i}-${'x'.repeat(200)}`));
      const err = await apply(a.client, names).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(GeorepError);
      expect((err as Error).message).to.match(/^the slave host's disk is full where the slave keeps its index/);
      await a.client.close();
      await a.done;
    } finally {
      execFileSync('umount', ['-l', base]);
    }
  });

  it('condemns the index when a request meets SQLITE_CORRUPT_INDEX; every later request fails; the next hello quarantines it', async () => {
    const root = join(makeTemp(), 'slave');
    // Its last hex digit becomes 'f' below: one that is 'f' already would corrupt nothing (a
    // random gfid did so one run in 16, and the test failed in CI).
    let g = newGfid();
    while (g.endsWith('f')) g = newGfid();
    const first = ok(
      await session(root, {}, async (a) => {
        expect(await apply(a.client, [ops.create(g, ROOT_GFID, 'victim')])).to.deep.equal([]);
      }),
    );
    // The names_by_gfid index entry of `victim` gets another gfid; the table keeps the real one.
    const file = join(root, '.georep', 'index.db');
    const probe = new Database(file);
    probe.pragma('wal_checkpoint(TRUNCATE)');
    const rootPage = Number(
      probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'names_by_gfid'").pluck().get(),
    );
    probe.close();
    const bytes = readFileSync(file);
    const page = bytes.subarray((rootPage - 1) * 4096, rootPage * 4096);
    const at = page.indexOf(g);
    expect(at).to.be.above(0);
    page.write('f', at + 35); // the last hex digit: same length, sorts after the original
    writeFileSync(file, bytes);

    const { log, events } = eventLogger();
    const codes: string[] = [];
    await session(
      root,
      {},
      async (a) => {
        for (const batch of [[ops.unlink(g, ROOT_GFID, 'victim')], [ops.create(newGfid(), ROOT_GFID, 'after')]]) {
          try {
            await apply(a.client, batch);
            codes.push('ok');
          } catch (e) {
            codes.push(e instanceof GeorepError ? e.code : String(e));
          }
        }
      },
      log,
    );
    expect(codes).to.deep.equal(['STATE_CORRUPT', 'STATE_CORRUPT']);
    expect(existsSync(`${file}.condemned`)).to.equal(true);
    expect(readFileSync(`${file}.condemned`, 'utf8')).to.include('SQLITE_CORRUPT_INDEX');
    expect(events.map((e) => e['event'])).to.include('state_corrupt');
    expect(existsSync(join(root, 'after')), 'nothing done on a condemned index').to.equal(false);

    const again = ok(await session(root));
    expect(again.slaveId).to.not.equal(first.slaveId);
    expect(existsSync(`${file}.condemned`)).to.equal(false);
    expect(readdirSync(join(root, '.georep')).filter((n) => /^index\.db\.corrupt-[^-]+$/.test(n))).to.have.lengthOf(1);
  });
});
