// stageData/commitData: data by gfid, replaced atomically; hard-link groups; unchanged content.

import { expect } from 'chai';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_GFID, apply, cleanupTemps, makeTemp, newGfid, ops, readyAgent } from './harness.js';
import type { InProcessAgent } from './harness.js';
import type { Gfid } from '../../src/changelog/index.js';

describe('slave/staging', () => {
  let a: InProcessAgent & { root: string };
  let staging: string;
  const p = (rel: string) => join(a.root, rel);
  /** What rsync does with a basis: write a new file beside it, rename it over the staging name. */
  const rsyncWrites = (gfid: Gfid, content: string) => {
    const tmp = join(staging, `.${gfid}.XXXXXX`);
    writeFileSync(tmp, content);
    renameSync(tmp, join(staging, gfid));
  };
  beforeEach(async () => {
    a = await readyAgent();
    staging = join(a.root, '.georep', 'staging');
  });
  afterEach(async () => {
    await a.client.close();
    await a.done;
    cleanupTemps();
  });

  it('stages the live file as basis and commits new content atomically; a reader keeps the old inode', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    writeFileSync(p('f'), 'old content');
    const oldIno = lstatSync(p('f')).ino;
    expect(await a.client.call('stageData', { gfids: [f], basis: true })).to.deep.equal({ unknown: [] });
    expect(lstatSync(join(staging, f)).ino).to.equal(oldIno);
    const reader = openSync(p('f'), 'r');
    rsyncWrites(f, 'new content');
    expect(readFileSync(p('f'), 'utf8')).to.equal('old content'); // the live inode was not touched
    expect(await a.client.call('commitData', { gfids: [f] })).to.deep.equal({ committed: 1, missing: [], failures: [] });
    expect(readFileSync(p('f'), 'utf8')).to.equal('new content');
    expect(lstatSync(p('f')).ino).to.not.equal(oldIno);
    const buf = Buffer.alloc(64);
    expect(buf.toString('utf8', 0, readSync(reader, buf))).to.equal('old content');
    closeSync(reader);
    expect(readdirSync(staging)).to.deep.equal([]);
  });

  it('re-links every name of a hard-link group to the new content', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, ROOT_GFID, 'a'), ops.link(f, d, 'b'), ops.link(f, ROOT_GFID, 'c')]);
    await a.client.call('stageData', { gfids: [f], basis: true });
    rsyncWrites(f, 'v2');
    expect((await a.client.call('commitData', { gfids: [f] })).committed).to.equal(1);
    const ino = lstatSync(p('a')).ino;
    for (const n of ['a', 'd/b', 'c']) expect([readFileSync(p(n), 'utf8'), lstatSync(p(n)).ino], n).to.deep.equal(['v2', ino]);
    expect(lstatSync(p('a')).nlink).to.equal(3);
    expect(readdirSync(a.root).filter((n) => n.startsWith('.georep-'))).to.deep.equal([]);
  });

  it('keeps the inode when the content did not change, and reports what was not staged', async () => {
    const f = newGfid();
    const g = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.create(g, ROOT_GFID, 'g')]);
    writeFileSync(p('f'), 'content');
    writeFileSync(p('g'), 'content');
    const ino = lstatSync(p('f')).ino;
    await a.client.call('stageData', { gfids: [f, g], basis: true });
    unlinkSync(join(staging, g)); // rsync did not deliver g (vanished on the master)
    expect(await a.client.call('commitData', { gfids: [f, g] })).to.deep.equal({ committed: 1, missing: [g], failures: [] });
    expect(lstatSync(p('f')).ino).to.equal(ino);
    expect(lstatSync(p('f')).nlink).to.equal(1);
  });

  it('stages no basis for an empty file: there is nothing to delta against', async () => {
    const f = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f')]);
    await a.client.call('stageData', { gfids: [f], basis: true });
    expect(existsSync(join(staging, f))).to.equal(false);
  });

  it('reports unknown gfids, clears leftovers, stages no basis when asked not to', async () => {
    const f = newGfid();
    const stranger = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.mkdir(newGfid(), ROOT_GFID, 'd')]);
    writeFileSync(join(staging, f), 'leftover of a crashed batch');
    expect(await a.client.call('stageData', { gfids: [f, stranger], basis: false })).to.deep.equal({ unknown: [stranger] });
    expect(existsSync(join(staging, f))).to.equal(false);
    rsyncWrites(f, 'whole file');
    rsyncWrites(stranger, 'data for nobody');
    const r = await a.client.call('commitData', { gfids: [f, stranger] });
    expect([r.committed, r.failures.map((x) => [x.index, x.code])]).to.deep.equal([1, [[1, 'GFID_UNKNOWN']]]);
    expect(readFileSync(p('f'), 'utf8')).to.equal('whole file');
    expect(readdirSync(staging)).to.deep.equal([]);
  });

  it('recreates a live file that went missing on the slave, and refuses data for a directory', async () => {
    const f = newGfid();
    const d = newGfid();
    await apply(a.client, [ops.create(f, ROOT_GFID, 'f'), ops.mkdir(d, ROOT_GFID, 'd')]);
    unlinkSync(p('f'));
    rsyncWrites(f, 'back');
    rsyncWrites(d, 'not a file');
    const r = await a.client.call('commitData', { gfids: [f, d] });
    expect([r.committed, r.failures.map((x) => x.code)]).to.deep.equal([1, ['ENTRY_CONFLICT']]);
    expect(readFileSync(p('f'), 'utf8')).to.equal('back');
  });

  it('neither stages from nor commits into a directory replaced by a symlink', async () => {
    const outside = makeTemp();
    writeFileSync(join(outside, 'f'), 'precious');
    const d = newGfid();
    const f = newGfid();
    await apply(a.client, [ops.mkdir(d, ROOT_GFID, 'd'), ops.create(f, d, 'f')]);
    rmSync(p('d'), { recursive: true });
    symlinkSync(outside, p('d'));
    expect(await a.client.call('stageData', { gfids: [f], basis: true })).to.deep.equal({ unknown: [] });
    expect(existsSync(join(staging, f))).to.equal(false);
    rsyncWrites(f, 'evil');
    const r = await a.client.call('commitData', { gfids: [f] });
    expect(r.failures.map((x) => x.code)).to.deep.equal(['PATH_ESCAPES_ROOT']);
    expect(readFileSync(join(outside, 'f'), 'utf8')).to.equal('precious');
  });
});
