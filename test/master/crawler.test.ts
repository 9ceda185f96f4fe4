import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import type { Change, Gfid } from '../../src/changelog/index.js';
import { POSITION_KEY, XsyncCrawler } from '../../src/master/crawler.js';
import { prefetchDirs } from '../../src/master/dir-prefetch.js';
import type { DirPrefetch } from '../../src/master/dir-prefetch.js';
import type { CrawlPolicy, RecordSink } from '../../src/master/crawler.js';
import { attrsOf } from '../../src/changelog/entry-stat.js';
import { ModeNormal } from '../../src/master/mixins/mode-normal.js';
import { ModeRecover } from '../../src/master/mixins/mode-recover.js';
import { ManualClock } from '../support/manual-clock.js';
import { makeSocket } from '../support/tree-builder.js';

class RecordingSink implements RecordSink {
  readonly batches: Change[][] = [];
  current: Change[] = [];
  onFlush: () => void = () => undefined;
  append(c: Change): void {
    this.current.push(c);
  }
  get pending(): number {
    return this.current.length;
  }
  flush(): Promise<void> {
    if (this.current.length > 0) this.batches.push(this.current);
    this.current = [];
    this.onFlush();
    return Promise.resolve();
  }
  all(): Change[] {
    return this.batches.flat();
  }
}

const normal: CrawlPolicy = {
  classify: (r, n) => new ModeNormal().classifyEntry(r, n),
  propagateDeletes: true,
  devicesAllowed: false,
  ownsNames: true,
  useDigests: true,
};

describe('XsyncCrawler', () => {
  let root: string;
  let index: SqliteGfidIndex;
  /** The crawler of the last crawl(). */
  let last: XsyncCrawler | undefined;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-crawl-'));
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => {
    index.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function crawl(
    policy = normal,
    batchEntries = 10_000,
    clock = new ManualClock(),
    crawlRate = 0,
    prefetch?: DirPrefetch,
  ): Promise<RecordingSink> {
    const sink = new RecordingSink();
    const crawler = new XsyncCrawler(
      { root: Buffer.from(root), batchEntries, crawlRate, policy },
      { index, clock, sink, onSkip: () => undefined, ...(prefetch === undefined ? {} : { prefetch }) },
    );
    last = crawler;
    await crawler.crawl();
    return sink;
  }

  /** What the batch runner does on success: confirm every entry's current attrs. */
  function confirmAll(): void {
    const walk = (gfid: typeof ROOT_GFID, rel: string): void => {
      for (const row of index.children(gfid)) {
        const p = path.join(rel, row.name.toString());
        index.markSynced(row.gfid, attrsOf(fs.lstatSync(path.join(root, p), { bigint: true })));
        if (row.type === 'dir') walk(row.gfid, p);
      }
    };
    walk(ROOT_GFID, '');
  }

  const gfidAt = (...names: string[]): Gfid =>
    names
      .flatMap((n) => n.split('/'))
      .reduce((g: Gfid, n) => {
        const row = index.lookup(g, Buffer.from(n));
        if (row === undefined) throw new Error(`${n} is not in the index`);
        return row.gfid;
      }, ROOT_GFID);

  const fops = (cs: readonly Change[]): string[] =>
    cs.map((c) => (c.kind === 'E' ? `E ${c.fop} ${c.entry.name.toString()}` : c.kind));

  it('emits MKDIR/CREATE/D/SYMLINK for a new tree, parents before children', async () => {
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'f'), 'x');
    fs.symlinkSync('nowhere', path.join(root, 'l'));
    const out = fops((await crawl()).all());
    expect(out.indexOf('E MKDIR d')).to.be.lessThan(out.indexOf('E CREATE f'));
    expect(out).to.include('E SYMLINK l');
    expect(out.filter((x) => x === 'D')).to.have.length(1);
  });

  it('emits nothing on an unchanged, confirmed tree', async () => {
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'f'), 'x');
    await crawl();
    confirmAll();
    expect((await crawl()).all()).to.deep.equal([]);
  });

  it('emits D and M for a changed file, UNLINK for a removed one', async () => {
    fs.writeFileSync(path.join(root, 'a'), 'x');
    fs.writeFileSync(path.join(root, 'b'), 'y');
    await crawl();
    confirmAll();
    fs.writeFileSync(path.join(root, 'a'), 'longer');
    fs.rmSync(path.join(root, 'b'));
    const out = fops((await crawl()).all());
    expect(out).to.include.members(['D', 'M', 'E UNLINK b']);
  });

  it('keeps deletes off the slave when deletes are not propagated, and forgets them', async () => {
    fs.writeFileSync(path.join(root, 'b'), 'y');
    await crawl();
    confirmAll();
    fs.rmSync(path.join(root, 'b'));
    const out = (await crawl({ ...normal, propagateDeletes: false })).all();
    expect(out).to.deep.equal([]);
    expect(index.lookup(ROOT_GFID, Buffer.from('b'))).to.equal(undefined);
  });

  it('records later names of a hard-link group as LINK to one gfid', async () => {
    fs.mkdirSync(path.join(root, 'z'));
    fs.writeFileSync(path.join(root, 'a'), 'x');
    fs.linkSync(path.join(root, 'a'), path.join(root, 'z', 'b'));
    const all = (await crawl()).all();
    const creates = all.filter((c) => c.kind === 'E' && c.fop === 'CREATE');
    const links = all.filter((c) => c.kind === 'E' && c.fop === 'LINK');
    expect(creates).to.have.length(1);
    expect(links).to.have.length(1);
    expect(links[0]?.gfid).to.equal(creates[0]?.gfid);
  });

  it('sends every name of a hard-linked file on each crawl, though its object is confirmed through one', async () => {
    // The index confirms objects, not names: with small batches, the names of one inode land in
    // different batches, and a name whose batch came after the object's confirmation was lost.
    for (const d of ['a', 'b', 'c']) fs.mkdirSync(path.join(root, d));
    fs.writeFileSync(path.join(root, 'a', 'one'), 'linked');
    fs.linkSync(path.join(root, 'a', 'one'), path.join(root, 'c', 'two'));
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(root, 'b', `f${i}`), String(i));
    await crawl();
    const gfid = gfidAt('a/one');
    confirmAll(); // as if the batch of a/one landed before the crawl reached c/two
    const live = { ...normal, ownsNames: false };
    const names = (await crawl(live, 2))
      .all()
      .filter((c) => c.kind === 'E' && c.gfid === gfid)
      .map((c) => (c.kind === 'E' ? `${c.fop} ${c.entry.name.toString()}` : ''));
    expect(names).to.deep.equal(['CREATE one', 'CREATE two']);
    // Once the slave confirmed each name on its own, they are not sent again.
    for (const at of index.namesOf(gfid)) index.markNameSynced(gfid, at);
    const again = (await crawl(live, 2)).all().filter((c) => c.kind === 'E');
    expect(again).to.deep.equal([]);
  });

  it('replaces a symlink whose target changed, though inode, size and times match what was confirmed', async () => {
    fs.symlinkSync('aaa', path.join(root, 'ln'));
    await crawl();
    const was = gfidAt('ln');
    fs.rmSync(path.join(root, 'ln'));
    fs.symlinkSync('bbb', path.join(root, 'ln'));
    // As if ext4 gave the new link the old inode within one clock tick: only the target differs.
    const st = fs.lstatSync(path.join(root, 'ln'), { bigint: true });
    index.setRecorded(was, attrsOf(st), st.ino, st.birthtimeNs);
    index.markSynced(was, attrsOf(st));
    const out = (await crawl()).all();
    expect(fops(out)).to.include('E SYMLINK ln');
    expect(gfidAt('ln')).to.not.equal(was);
    expect(index.targetOf(gfidAt('ln'))?.toString()).to.equal('bbb');
  });

  it('replaces a directory that became a file: the old directory is removed first (RMDIR), the file follows once that is confirmed', async () => {
    fs.mkdirSync(path.join(root, 'x'));
    fs.writeFileSync(path.join(root, 'x', 'inner'), '1');
    await crawl();
    confirmAll();
    const oldGfid = index.lookup(ROOT_GFID, Buffer.from('x'))?.gfid as Gfid;
    fs.rmSync(path.join(root, 'x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'x'), 'now a file');
    // The slave's directory (and what it holds) must leave the name first: the agent never
    // empties a directory to make room for an entry. Until the slave confirms the RMDIR, the
    // old rows stay, so a run whose RMDIR did not land (refused by the brake) sends it again.
    for (let run = 0; run < 2; run++) {
      const all = fops((await crawl()).all());
      expect(all, `run ${run}`).to.include('E RMDIR x');
      expect(
        all.filter((o) => o.startsWith('E CREATE')),
        `run ${run}`,
      ).to.deep.equal([]);
      expect(index.lookup(ROOT_GFID, Buffer.from('x'))?.gfid).to.equal(oldGfid);
    }
    index.removeTree(oldGfid); // what the batch runner does once the slave confirms the RMDIR
    const after = (await crawl()).all();
    expect(fops(after)).to.include('E CREATE x');
    expect(index.lookup(ROOT_GFID, Buffer.from('x'))?.type).to.equal('file');
    expect(index.lookup(ROOT_GFID, Buffer.from('x'))?.gfid).to.not.equal(oldGfid);
  });

  it('re-issues every entry in recover mode', async () => {
    fs.writeFileSync(path.join(root, 'a'), 'x');
    await crawl();
    confirmAll();
    const recover: CrawlPolicy = {
      ...normal,
      classify: (r, n) => new ModeRecover().classifyEntry(r, n),
      useDigests: new ModeRecover().trustsConfirmations(),
    };
    expect(fops((await crawl(recover)).all())).to.include('E CREATE a');
  });

  describe('directories unchanged since a clean crawl (digests)', () => {
    /** A confirmed tree whose last crawl found it clean, so every directory has a digest. */
    async function digested(): Promise<void> {
      fs.mkdirSync(path.join(root, 'd'));
      fs.mkdirSync(path.join(root, 'd', 'e'));
      fs.writeFileSync(path.join(root, 'd', 'f'), 'one');
      fs.writeFileSync(path.join(root, 'd', 'e', 'g'), 'two');
      fs.writeFileSync(path.join(root, 'top'), 'three');
      await crawl();
      confirmAll();
      expect((await crawl()).all()).to.deep.equal([]);
      expect(last?.dirsUnchanged).to.equal(0); // this clean crawl stores the digests
    }

    it('skips the rows of every unchanged directory, still walking the whole tree', async () => {
      await digested();
      expect((await crawl()).all()).to.deep.equal([]);
      expect(last?.dirsUnchanged).to.equal(3); // the root, d and d/e
      expect(last?.entriesScanned).to.equal(5);
      // The walk reached d/e through the stored subdirectories: a change there is still seen.
      fs.writeFileSync(path.join(root, 'd', 'e', 'g'), 'twice as long');
      expect(fops((await crawl()).all())).to.deep.equal(['D', 'M']);
      expect(last?.dirsUnchanged).to.equal(2);
    });

    it('stores what a turn staged once its entries are confirmed as listed', async () => {
      fs.mkdirSync(path.join(root, 'd'));
      fs.writeFileSync(path.join(root, 'd', 'f'), 'one');
      await crawl(); // everything is sent: both directories are staged
      confirmAll();
      expect(index.commitStagedDigests()).to.equal(2); // what crawl-xsync does once the turn settled
      expect((await crawl()).all()).to.deep.equal([]);
      expect(last?.dirsUnchanged).to.equal(2);
    });

    it('a full crawl skips nothing but stages digests: the crawl after it skips what it confirmed', async () => {
      await digested();
      const full: CrawlPolicy = { ...normal, useDigests: false, storeDigests: true };
      index.clearSynced(); // as decideFullCrawl does for a new slave
      expect(fops((await crawl(full)).all())).to.include.members(['E CREATE f', 'E CREATE g', 'E CREATE top']);
      expect(last?.dirsUnchanged).to.equal(0);
      confirmAll();
      expect(index.commitStagedDigests()).to.equal(3);
      expect((await crawl()).all()).to.deep.equal([]);
      expect(last?.dirsUnchanged).to.equal(3);
    });

    it('stores no staged digest for a directory with a child the turn did not confirm', async () => {
      fs.mkdirSync(path.join(root, 'd'));
      fs.writeFileSync(path.join(root, 'd', 'f'), 'one');
      fs.writeFileSync(path.join(root, 'd', 'g'), 'two');
      await crawl();
      confirmAll();
      index.markSynced(gfidAt('d', 'g'), {
        ...attrsOf(fs.lstatSync(path.join(root, 'd', 'g'), { bigint: true })),
        size: 7,
      });
      expect(index.commitStagedDigests()).to.equal(1); // the root only
      expect(fops((await crawl()).all())).to.deep.equal(['D', 'M']);
      expect(last?.dirsUnchanged).to.equal(1);
    });

    it('a new crawl forgets what the last one staged', async () => {
      fs.writeFileSync(path.join(root, 'f'), 'one');
      await crawl();
      confirmAll();
      await crawl(); // drops the first turn's staged digest, and stores its own (clean)
      expect(index.commitStagedDigests()).to.equal(0);
      expect((await crawl()).all()).to.deep.equal([]);
      expect(last?.dirsUnchanged).to.equal(1);
    });

    it('a file changed between the listing and its confirmation is still seen', async () => {
      fs.mkdirSync(path.join(root, 'd'));
      const f = path.join(root, 'd', 'f');
      fs.writeFileSync(f, 'one');
      await crawl();
      const listed = attrsOf(fs.lstatSync(f, { bigint: true }));
      confirmAll();
      // The slave confirmed what was listed; the master has moved on since.
      fs.writeFileSync(f, 'one, and more');
      index.markSynced(gfidAt('d', 'f'), listed);
      index.commitStagedDigests();
      expect(fops((await crawl()).all())).to.deep.equal(['D', 'M']);
    });

    it('sees a rewrite that kept size and mtime: the ctime moved', async () => {
      await digested();
      const f = path.join(root, 'd', 'f');
      const ref = path.join(os.tmpdir(), `georep-crawl-ref-${process.pid}`);
      execFileSync('touch', ['-r', f, ref]); // keeps f's times to the nanosecond (utimes has ms)
      await new Promise((r) => setTimeout(r, 20)); // past the kernel's coarse clock tick
      fs.writeFileSync(f, 'ONE');
      execFileSync('touch', ['-r', ref, f]);
      fs.rmSync(ref);
      const st = fs.statSync(f, { bigint: true });
      const synced = index.syncedOf(gfidAt('d', 'f'));
      expect([st.size, st.mtimeNs]).to.deep.equal([BigInt(synced?.size ?? -1), synced?.mtimeNs]);
      expect(fops((await crawl()).all())).to.deep.equal(['D', 'M']);
    });

    it('stops trusting a digest once the index changes under it, the master unchanged', async () => {
      await digested();
      const f = gfidAt('d', 'f');
      const synced = index.syncedOf(f);
      if (synced === null) throw new Error('d/f is not confirmed');
      // A confirmation of other attrs (what a failed or later sync may leave): d/f is sent again.
      index.markSynced(f, { ...synced, size: synced.size + 1 });
      expect(fops((await crawl()).all())).to.deep.equal(['D', 'M']);
      confirmAll();
      await crawl();
      // A name the index lost: it is created again.
      index.unlink({ pargfid: ROOT_GFID, name: Buffer.from('top') });
      expect(fops((await crawl()).all())).to.deep.equal(['E CREATE top', 'D']);
    });

    it('a slave found reset (clearSynced) resends everything', async () => {
      await digested();
      index.clearSynced();
      const out = fops((await crawl()).all());
      expect(out.filter((x) => x.startsWith('E '))).to.have.length(5);
      expect(last?.dirsUnchanged).to.equal(0);
    });

    it('is not used in recover mode, nor when the policy says not to', async () => {
      await digested();
      const recover: CrawlPolicy = {
        ...normal,
        classify: (r, n) => new ModeRecover().classifyEntry(r, n),
        useDigests: new ModeRecover().trustsConfirmations(),
      };
      expect(fops((await crawl(recover)).all())).to.include.members(['E CREATE f', 'E CREATE g', 'E CREATE top']);
      expect(last?.dirsUnchanged).to.equal(0);
      await crawl({ ...normal, useDigests: false });
      expect(last?.dirsUnchanged).to.equal(0);
    });

    describe('with directories listed ahead (dir-prefetch.ts)', () => {
      const ahead = (maxDirs = 100, signal = new AbortController().signal): Promise<DirPrefetch> =>
        prefetchDirs(Buffer.from(root), signal, maxDirs, 0);
      const withAhead = async (pre: DirPrefetch, policy = normal): Promise<RecordingSink> =>
        crawl(policy, 10_000, new ManualClock(), 0, pre);

      it('skips what the listing ahead found unchanged, counting its entries, and lists the rest', async () => {
        await digested();
        fs.writeFileSync(path.join(root, 'd', 'e', 'g'), 'twice as long'); // before the listing
        const pre = await ahead();
        expect([...pre.dirs.keys()].sort()).to.deep.equal(['', 'd', 'd/e']);
        expect(fops((await withAhead(pre)).all())).to.deep.equal(['D', 'M']);
        expect({ unchanged: last?.dirsUnchanged, scanned: last?.entriesScanned }).to.deep.equal({
          unchanged: 2,
          scanned: 5,
        });
      });

      it('leaves a change made after the listing to the next run, as one made just after the crawl passed', async () => {
        await digested();
        const pre = await ahead();
        fs.writeFileSync(path.join(root, 'd', 'f'), 'changed after the listing');
        expect((await withAhead(pre)).all()).to.deep.equal([]);
        expect(fops((await crawl()).all())).to.deep.equal(['D', 'M']);
      });

      it('is not used where digests are not (a full crawl, recover mode), nor for a hard-linked child', async () => {
        await digested();
        const pre = await ahead();
        fs.writeFileSync(path.join(root, 'top'), 'changed after the listing');
        expect(fops((await withAhead(pre, { ...normal, useDigests: false })).all())).to.include('D');
        fs.linkSync(path.join(root, 'd', 'f'), path.join(root, 'd', 'f2'));
        confirmAll();
        await crawl(); // stages and stores nothing for d: it holds a hard-linked file
        const linked = await ahead();
        expect(linked.dirs.get('d')?.linked).to.equal(true);
        await withAhead(linked);
        expect(last?.dirsUnchanged).to.be.below(3);
      });

      it('a directory renamed after its parent was listed ahead is left to the next run, its files never unlinked', async () => {
        fs.mkdirSync(path.join(root, 'P', 'A'), { recursive: true });
        for (const n of ['x', 'y', 'z']) fs.writeFileSync(path.join(root, 'P', 'A', n), n);
        await crawl();
        confirmAll();
        await crawl(); // digests stored
        const pre = await ahead(2); // '' and 'P' only: the prefetch stopped there
        expect([...pre.dirs.keys()]).to.deep.equal(['', 'P']);
        fs.renameSync(path.join(root, 'P', 'A'), path.join(root, 'P', 'B')); // while the slave is reached
        expect((await withAhead(pre)).all()).to.deep.equal([]);
        const next = fops((await crawl()).all());
        expect(next.filter((o) => o.startsWith('E UNLINK'))).to.deep.equal([]);
        expect(next).to.include.members(['E MKDIR B', 'E CREATE x', 'E CREATE y', 'E CREATE z']);
      });

      it('stops when aborted or at its bound, keeping what it listed', async () => {
        await digested();
        expect((await ahead(2)).dirs.size).to.equal(2);
        expect((await ahead(100, AbortSignal.abort())).dirs.size).to.equal(0);
      });
    });

    it('never skips a directory holding a hard-linked file, so a new name elsewhere is a LINK', async () => {
      await digested();
      fs.linkSync(path.join(root, 'top'), path.join(root, 'd', 'e', 'h'));
      const out = (await crawl()).all();
      const top = gfidAt('top');
      // The name it had is sent again too (every name of a hard-linked file is, each crawl).
      expect(out.filter((c) => c.kind === 'E').map((c) => (c.kind === 'E' ? [c.fop, c.gfid] : []))).to.deep.equal([
        ['CREATE', top],
        ['LINK', top],
      ]);
      confirmAll();
      await crawl();
      await crawl();
      expect(last?.dirsUnchanged).to.equal(1); // d only: the root and d/e hold a name of top
    });

    it('names the reserved .georep on every crawl (the root is never skipped then)', async () => {
      await digested();
      fs.mkdirSync(path.join(root, '.georep'));
      const skipped: string[] = [];
      for (let i = 0; i < 2; i++) {
        const crawler = new XsyncCrawler(
          { root: Buffer.from(root), batchEntries: 100, crawlRate: 0, policy: normal },
          { index, clock: new ManualClock(), sink: new RecordingSink(), onSkip: (p) => skipped.push(p) },
        );
        await crawler.crawl();
      }
      expect(skipped).to.deep.equal(['.georep', '.georep']);
    });
  });

  it('writes batches of the configured size and saves the position after each', async () => {
    for (let i = 0; i < 5; i++) {
      fs.mkdirSync(path.join(root, `d${i}`));
      for (let j = 0; j < 3; j++) fs.writeFileSync(path.join(root, `d${i}`, `f${j}`), 'x');
    }
    const positions: string[] = [];
    const sink = new RecordingSink();
    sink.onFlush = () => positions.push(index.getMeta(POSITION_KEY) ?? '');
    const crawler = new XsyncCrawler(
      { root: Buffer.from(root), batchEntries: 6, crawlRate: 0, policy: normal },
      { index, clock: new ManualClock(), sink, onSkip: () => undefined },
    );
    await crawler.crawl();
    expect(sink.batches.length).to.be.greaterThan(2);
    expect(index.getMeta(POSITION_KEY)).to.equal(''); // a finished turn clears it
  });

  it('resumes after the saved position and wraps around to cover the rest', async () => {
    for (const d of ['a', 'b', 'c']) {
      fs.mkdirSync(path.join(root, d));
      fs.writeFileSync(path.join(root, d, 'f'), d);
    }
    await crawl();
    confirmAll();
    fs.writeFileSync(path.join(root, 'a', 'new'), '1');
    fs.writeFileSync(path.join(root, 'c', 'new'), '1');
    index.setMeta(POSITION_KEY, JSON.stringify(['b']));
    const sink = await crawl();
    const creates = sink.batches.flat().filter((c) => c.kind === 'E' && c.fop === 'CREATE');
    expect(creates).to.have.length(2);
    // After 'b' first: c/new comes before a/new.
    const parents = creates.map((c) => (c.kind === 'E' ? index.pathOf(c.entry.pargfid)?.toString() : ''));
    expect(parents).to.deep.equal(['c', 'a']);
  });

  it('is rate-limited by crawl-rate without real sleeping', async () => {
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, `f${i}`), 'x');
    fs.mkdirSync(path.join(root, 'sub'));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, 'sub', `g${i}`), 'x');
    const clock = new ManualClock();
    const t0 = clock.nowMs();
    await crawl(normal, 10_000, clock, 10); // 42 entries at 10/s
    expect(clock.slept.length).to.be.greaterThan(0);
    expect(clock.nowMs() - t0).to.be.at.least(4000);
  });

  it('skips what the slave cannot make, naming it: sockets always, device nodes unless the slave is root', async () => {
    await makeSocket(path.join(root, 'sock'));
    // Only root can make a device node on the master; CI runs as root.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('mknod', [path.join(root, 'dev'), 'c', '1', '3']);
    const skipped: string[] = [];
    const run = async (devicesAllowed: boolean): Promise<Change[]> => {
      const sink = new RecordingSink();
      const crawler = new XsyncCrawler(
        { root: Buffer.from(root), batchEntries: 100, crawlRate: 0, policy: { ...normal, devicesAllowed } },
        { index, clock: new ManualClock(), sink, onSkip: (p) => skipped.push(p) },
      );
      await crawler.crawl();
      return sink.all();
    };
    expect(await run(false)).to.deep.equal([]);
    expect(skipped).to.deep.equal(asRoot ? ['dev', 'sock'] : ['sock']);
    const allowed = fops(await run(true));
    expect(allowed).to.not.include('E MKNOD sock');
    if (asRoot) expect(allowed).to.include('E MKNOD dev');
  });

  it('skips the reserved .georep name at the master root, naming it', async () => {
    fs.mkdirSync(path.join(root, '.georep'));
    const skipped: string[] = [];
    const sink = new RecordingSink();
    const crawler = new XsyncCrawler(
      { root: Buffer.from(root), batchEntries: 100, crawlRate: 0, policy: normal },
      { index, clock: new ManualClock(), sink, onSkip: (p) => skipped.push(p) },
    );
    await crawler.crawl();
    expect(skipped).to.deep.equal(['.georep']);
    expect(sink.all()).to.deep.equal([]);
  });
});
