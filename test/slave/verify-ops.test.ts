// listDir / hashFiles / dropPaths: the agent's side of verify and repair. Listings are sorted by
// raw bytes, paged within LIMITS, never leave ROOT nor show .georep; drops empty a place and the
// index forgets it, keeping the parent's times.

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { LIMITS, unpackEntries, validateParams, validateResult } from '../../src/slave/index.js';
import type { ListedEntry, Methods } from '../../src/slave/index.js';
import { codeOf, codeOfAsync } from '../support/error-code.js';
import { ROOT_GFID, apply, newGfid, ops, useReadyAgent, wire } from './harness.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('slave/verify-ops', () => {
  const a = useReadyAgent();
  const p = (rel: string): string => join(a.root, rel);

  /** Every entry of `dir`, page by page; returns the entries and how many pages it took. */
  async function listAll(dir: string): Promise<{ entries: ListedEntry[]; pages: number }> {
    const entries: ListedEntry[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: Methods['listDir']['result'] = await a.client.call('listDir', { dir, after });
      pages++;
      expect(r.found).to.equal(true);
      entries.push(...unpackEntries(r.entries));
      if (r.next === null) return { entries, pages };
      after = r.next;
    }
  }

  it('lists a directory sorted by raw bytes, without .georep, with what lstat says', async () => {
    writeFileSync(p('b'), 'bee');
    mkdirSync(p('a'));
    symlinkSync('../out\nside', p('c'));
    writeFileSync(Buffer.from(p('\xff').replace('\xff', '') + '\xff', 'latin1'), 'x'); // not UTF-8
    const { entries } = await listAll('');
    expect(entries.map((e) => e.name.toString('latin1'))).to.deep.equal(['a', 'b', 'c', '\xff']);
    const [dir, file, link] = entries;
    expect(dir?.kind).to.equal('dir');
    const bst = lstatSync(p('b'), { bigint: true });
    expect(file).to.include({ kind: 'file', size: 3, nlink: 1, ino: bst.ino, mtimeNs: bst.mtimeNs });
    expect(file?.mode).to.equal(lstatSync(p('b')).mode);
    expect(link).to.include({ kind: 'symlink' });
    expect(link?.target?.toString()).to.equal('../out\nside');
    const root = await a.client.call('listDir', { dir: '', after: null });
    expect(root.self?.mode).to.equal(lstatSync(a.root).mode);
    expect(root.self?.mtime.sec).to.equal(Math.floor(lstatSync(a.root).mtimeMs / 1000));
  });

  it('pages a directory over LIMITS.listEntries: every name once, in order', async () => {
    mkdirSync(p('big'));
    const n = LIMITS.listEntries + 5;
    for (let i = 0; i < n; i++) writeFileSync(p(`big/f${String(i).padStart(5, '0')}`), '');
    const { entries, pages } = await listAll('big');
    expect(pages).to.equal(2);
    expect(entries).to.have.lengthOf(n);
    const names = entries.map((e) => e.name.toString());
    expect(names).to.deep.equal([...names].sort());
    expect(new Set(names).size).to.equal(n);
  });

  it('leaves out a symlink removed between the listing and the page that shows it, and lists the rest', async () => {
    mkdirSync(p('big'));
    for (let i = 0; i < LIMITS.listEntries + 2; i++) writeFileSync(p(`big/f${String(i).padStart(5, '0')}`), '');
    symlinkSync('f00000', p('big/zz-link')); // sorts last: on the second page, read from the first page's listing
    const first = await a.client.call('listDir', { dir: 'big', after: null });
    expect(first.next).to.not.equal(null);
    rmSync(p('big/zz-link'));
    const second = await a.client.call('listDir', { dir: 'big', after: first.next });
    expect(unpackEntries(second.entries).map((e) => e.name.toString())).to.deep.equal(['f04096', 'f04097']);
  });

  it('reports no directory when it is absent, a file, or reached through a symlink', async () => {
    mkdirSync(p('real'));
    writeFileSync(p('real/f'), '');
    writeFileSync(p('file'), '');
    symlinkSync('real', p('via'));
    for (const dir of ['absent', 'file', 'via', 'via/f'])
      expect(await a.client.call('listDir', { dir, after: null }), dir).to.deep.equal({
        found: false,
        self: null,
        entries: { names: '', stats: '', targets: [] },
        next: null,
      });
    expect(await codeOfAsync(a.client.call('listDir', { dir: '../x', after: null }))).to.equal('BAD_NAME');
  });

  it('hashes regular files only, and never follows a symlink', async () => {
    mkdirSync(p('d'));
    writeFileSync(p('d/f'), 'content');
    symlinkSync('f', p('d/l'));
    const r = await a.client.call('hashFiles', { dir: 'd', names: ['f', 'l', 'gone'] });
    expect(r.hashes).to.deep.equal([{ sha256: sha256('content') }, { error: 'NOT_FILE' }, { error: 'ENOENT' }]);
    const root = await a.client.call('hashFiles', { dir: '', names: ['.georep'] });
    expect(root.hashes).to.deep.equal([{ error: 'BAD_NAME' }]);
  });

  it('drops a place: removes what is there, forgets its names, keeps the parent times', async () => {
    const dir = newGfid();
    const file = newGfid();
    expect(await apply(a.client, [ops.mkdir(dir, ROOT_GFID, 'd'), ops.create(file, dir, 'known')])).to.deep.equal([]);
    mkdirSync(p('d/extra/deeper'), { recursive: true });
    writeFileSync(p('d/extra/deeper/x'), 'x');
    utimesSync(p('d'), 1_000_000, 1_000_000);
    const r = await a.client.call('dropPaths', { paths: ['d/extra', 'd/known', 'd/nothing'] });
    expect(r).to.deep.equal({ dropped: 2, failures: [] });
    expect(existsSync(p('d/extra'))).to.equal(false);
    expect(existsSync(p('d/known'))).to.equal(false);
    expect(lstatSync(p('d')).mtimeMs).to.equal(1_000_000_000);
    // The index forgot `known`: a CREATE of its gfid at the same name makes a new file.
    expect(await apply(a.client, [ops.create(file, dir, 'known')])).to.deep.equal([]);
    expect(existsSync(p('d/known'))).to.equal(true);
  });

  it('drops a name the slave index holds when nothing is on disk, and a whole known directory', async () => {
    const dir = newGfid();
    const file = newGfid();
    expect(await apply(a.client, [ops.mkdir(dir, ROOT_GFID, 'gone'), ops.create(file, dir, 'f')])).to.deep.equal([]);
    const { rmSync } = await import('node:fs');
    rmSync(p('gone'), { recursive: true });
    expect(await a.client.call('dropPaths', { paths: ['gone'] })).to.deep.equal({ dropped: 1, failures: [] });
    // Both the directory and its child are unknown again: made afresh, not found "present".
    expect(await apply(a.client, [ops.mkdir(dir, ROOT_GFID, 'gone'), ops.create(file, dir, 'f')])).to.deep.equal([]);
    expect(existsSync(p('gone/f'))).to.equal(true);
  });

  it('never drops through a symlink (nothing there to drop) nor the reserved .georep; goes on with the rest', async () => {
    mkdirSync(p('real'));
    writeFileSync(p('real/keep'), 'keep');
    symlinkSync('real', p('via'));
    writeFileSync(p('extra'), '');
    const r = await a.client.call('dropPaths', { paths: ['via/keep', '.georep', 'extra'] });
    expect(r.dropped).to.equal(1);
    expect(r.failures.map((f) => [f.index, f.code])).to.deep.equal([[1, 'BAD_NAME']]);
    expect(existsSync(p('real/keep'))).to.equal(true);
    expect(existsSync(p('.georep'))).to.equal(true);
  });

  it('counts what drops would remove without removing it: subtrees whole, symlinks not followed, up to the cap', async () => {
    mkdirSync(p('extra/a/b'), { recursive: true });
    for (const f of ['extra/1', 'extra/a/2', 'extra/a/b/3']) writeFileSync(p(f), f);
    mkdirSync(p('outside'));
    for (let i = 0; i < 5; i++) writeFileSync(p(`outside/${i}`), '');
    symlinkSync('../outside', p('extra/a/link'));
    writeFileSync(p('lone'), '');
    const all = await a.client.call('countPaths', { paths: ['extra', 'lone', 'nothing', '.georep'], cap: 1000 });
    expect(all).to.deep.equal({ entries: 8 }); // extra, a, b, 1, 2, 3, link; lone
    expect(await a.client.call('countPaths', { paths: ['extra', 'lone'], cap: 3 })).to.deep.equal({ entries: 3 });
    expect(existsSync(p('extra/a/b/3'))).to.equal(true);
  });

  it('reaches nothing below the reserved .georep: no drop, listing or hash of the agent state', async () => {
    const state = readdirSync(p('.georep')).sort();
    expect(state).to.include('index.db');
    const r = await a.client.call('dropPaths', { paths: ['.georep/index.db', '.georep/staging', '.georep/x/y'] });
    expect(r.dropped).to.equal(0);
    expect(r.failures.map((f) => [f.index, f.code])).to.deep.equal([
      [0, 'BAD_NAME'],
      [1, 'BAD_NAME'],
      [2, 'BAD_NAME'],
    ]);
    expect(readdirSync(p('.georep')).sort()).to.deep.equal(state);
    expect(await codeOfAsync(a.client.call('listDir', { dir: '.georep', after: null }))).to.equal('BAD_NAME');
    expect(await codeOfAsync(a.client.call('hashFiles', { dir: '.georep', names: ['index.db'] }))).to.equal('BAD_NAME');
    // A replica's own directory of that name deeper down is the replica's.
    mkdirSync(p('d/.georep'), { recursive: true });
    writeFileSync(p('d/.georep/f'), '');
    expect(await a.client.call('dropPaths', { paths: ['d/.georep'] })).to.deep.equal({ dropped: 1, failures: [] });
  });

  it('holds hashFiles and dropPaths to LIMITS.namesPerCall', () => {
    const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`);
    expect(codeOf(() => validateParams('hashFiles', { dir: '', names: names(LIMITS.namesPerCall) }))).to.equal(
      undefined,
    );
    expect(codeOf(() => validateParams('hashFiles', { dir: '', names: names(LIMITS.namesPerCall + 1) }))).to.equal(
      'LIMIT_EXCEEDED',
    );
    expect(codeOf(() => validateParams('dropPaths', { paths: names(LIMITS.namesPerCall) }))).to.equal(undefined);
    expect(codeOf(() => validateParams('dropPaths', { paths: names(LIMITS.namesPerCall + 1) }))).to.equal(
      'LIMIT_EXCEEDED',
    );
    expect(codeOf(() => validateParams('dropPaths', { paths: [''] }))).to.equal('BAD_NAME');
    expect(codeOf(() => validateParams('listDir', { dir: 'a//b', after: null }))).to.equal('BAD_NAME');
  });

  it('checks replies to hashFiles and dropPaths', () => {
    expect(codeOf(() => validateResult('hashFiles', { hashes: [{ sha256: 'XYZ' }] }))).to.equal('BAD_REQUEST');
    expect(codeOf(() => validateResult('dropPaths', { dropped: 0, failures: [{ index: 0 }] }))).to.equal('BAD_REQUEST');
  });
});
