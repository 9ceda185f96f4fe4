// A local user on the slave swaps a directory for a symlink in the middle of a batch. Each test
// makes that race deterministic: the agent's test seam (AgentHooks.beforeItem) plays the user
// between two items of one request, or a logger hook plays them inside one op, at the moment the
// agent reports it has looked at the place and is about to act on it. Nothing outside the slave
// root may be created, changed, moved or removed; the op that meets the symlink fails with
// PATH_ESCAPES_ROOT and the batch goes on.

import { expect } from 'chai';
import {
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Gfid } from '../../src/changelog/index.js';
import { silentLogger } from '../../src/log.js';
import type { Logger } from '../../src/log.js';
import type { EntryOp, MetaOp, MethodName } from '../../src/slave/index.js';
import { ROOT_GFID, apply, at, item, makeTemp, newGfid, ops, useReadyAgent } from './harness.js';

/** What a local user's `mv d d.moved && ln -s OUTSIDE d` leaves: the real directory stays inside the root. */
function swapForSymlink(root: string, rel: string, outside: string): void {
  renameSync(join(root, rel), join(root, `${rel}.moved`));
  symlinkSync(outside, join(root, rel));
}

/** Everything below `dir`: relative path → type, mode, owner, inode, mtime (what the agent must leave alone). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st: BigIntStats = lstatSync(join(dir, r), { bigint: true });
      out[r] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ino ${st.ino} nlink ${st.nlink} mtime ${st.mtimeNs}`;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/** A logger that calls `onInfo` with each info line's message and fields, synchronously, as the agent logs it. */
function hookedLogger(onInfo: (message: string, meta: Record<string, unknown>) => void): Logger {
  const log = silentLogger();
  const info = log.info.bind(log);
  log.info = ((message: string, meta: Record<string, unknown> = {}) => {
    onInfo(message, meta);
    return info(message, meta);
  }) as unknown as Logger['info'];
  return log;
}

describe('slave/confine: a directory swapped for a symlink mid-batch', () => {
  let beforeItem: ((method: MethodName, index: number) => void) | undefined;
  let onInfo: ((message: string, meta: Record<string, unknown>) => void) | undefined;
  const a = useReadyAgent({
    hooks: { beforeItem: (method, index) => beforeItem?.(method, index) },
    log: hookedLogger((message, meta) => onInfo?.(message, meta)),
  });
  const p = (rel: string) => join(a.root, rel);

  let outside: string;
  let before: Record<string, string>;
  const d = newGfid();
  const f = newGfid();
  const sub = newGfid();
  const top = newGfid();
  const first = newGfid();

  /**
   * The slave holds d/{f, sub/inner} and top; OUTSIDE holds the same names (precious, mode
   * 0600, another owner), so any op that goes through the symlink finds something to harm.
   */
  beforeEach(async () => {
    beforeItem = undefined;
    onInfo = undefined;
    expect(
      await apply(a.client, [
        ops.mkdir(d, ROOT_GFID, 'd'),
        ops.create(f, d, 'f'),
        ops.mkdir(sub, d, 'sub'),
        ops.create(newGfid(), sub, 'inner'),
        ops.create(top, ROOT_GFID, 'top'),
        ops.create(first, d, 'first'),
      ]),
    ).to.deep.equal([]);
    outside = makeTemp();
    mkdirSync(join(outside, 'sub'));
    for (const name of ['f', 'first', 'bait', 'moved', 'sub/inner', 'sub/extra']) {
      writeFileSync(join(outside, name), 'precious', { mode: 0o600 });
      if (process.getuid?.() === 0) lchownSync(join(outside, name), 1111, 1111);
    }
    before = snapshot(outside);
  });

  /** The user swaps d before item 1 of the next request of `method`. */
  const swapBeforeItem1 = (method: MethodName): void => {
    beforeItem = (m, i) => {
      if (m === method && i === 1) swapForSymlink(a.root, 'd', outside);
    };
  };
  /** Item 0 makes the agent resolve d (a CREATE there); item 1 is `op`, which must fail. */
  const raceEntryOp = async (op: EntryOp): Promise<void> => {
    swapBeforeItem1('entryOps');
    const codes = await apply(a.client, [ops.create(newGfid(), d, 'new0'), op]);
    expect(snapshot(outside)).to.deep.equal(before);
    expect(codes).to.deep.equal(['PATH_ESCAPES_ROOT']);
  };

  it('CREATE in it creates nothing outside the root', () => raceEntryOp(ops.create(newGfid(), d, 'new')));
  it('MKDIR in it creates nothing outside the root', () => raceEntryOp(ops.mkdir(newGfid(), d, 'newdir')));
  it('MKNOD in it creates nothing outside the root', () => raceEntryOp(ops.mknod(newGfid(), d, 'fifo', 0o10644)));
  it('SYMLINK in it creates nothing outside the root', () => raceEntryOp(ops.symlink(newGfid(), d, 'ln', '/etc')));
  it('LINK into it creates nothing outside the root', () => raceEntryOp(ops.link(top, d, 'hard')));

  it('RENAME into it moves nothing outside the root', async () => {
    await raceEntryOp(ops.rename(top, at(ROOT_GFID, 'top'), at(d, 'moved')));
    expect(lstatSync(p('top')).isFile()).to.equal(true);
  });

  it('RENAME out of it takes nothing from outside the root', async () => {
    await raceEntryOp(ops.rename(f, at(d, 'f'), at(ROOT_GFID, 'g')));
    expect(existsSync(p('g'))).to.equal(false);
  });

  it('UNLINK in it removes nothing outside the root', () => raceEntryOp(ops.unlink(f, d, 'f')));
  it('RMDIR in it removes nothing outside the root (recursive removal)', () => raceEntryOp(ops.rmdir(sub, d, 'sub')));

  it('setattr (chmod, chown, utimes) in it changes nothing outside the root', async () => {
    swapBeforeItem1('metaOps');
    const meta = (gfid: Gfid): MetaOp => ({
      gfid,
      mode: 0o100777,
      uid: 4321,
      gid: 4321,
      atime: { sec: 1, nsec: 0 },
      mtime: { sec: 2, nsec: 0 },
    });
    const r = await a.client.call('metaOps', { ops: [meta(first), meta(f)] });
    expect(snapshot(outside)).to.deep.equal(before);
    expect(r.failures.map((x) => [x.index, x.code])).to.deep.equal([[1, 'PATH_ESCAPES_ROOT']]);
  });

  it('purgeUnknown of a directory below it removes nothing outside the root', async () => {
    swapBeforeItem1('purgeUnknown');
    const r = await a.client.call('purgeUnknown', { dirs: [d, sub] });
    expect(snapshot(outside)).to.deep.equal(before);
    expect(r.failures.map((x) => [x.index, x.code])).to.deep.equal([[1, 'PATH_ESCAPES_ROOT']]);
  });

  it('commitData renames no staged file outside the root', async () => {
    const items = [item(first, 'd/first'), item(f, 'd/f')];
    await a.client.call('stageData', { box: 'b', items, basis: false });
    for (const name of ['first', 'f']) writeFileSync(p(`.georep/staging/b/d/${name}`), 'new content');
    swapBeforeItem1('commitData');
    const r = await a.client.call('commitData', { box: 'b', items });
    expect(snapshot(outside)).to.deep.equal(before);
    expect(r.failures.map((x) => [x.index, x.code])).to.deep.equal([[1, 'PATH_ESCAPES_ROOT']]);
  });

  it('stageData links no file from outside the root into the box as a basis', async () => {
    for (const rel of ['d/first', 'd/f']) writeFileSync(p(rel), 'slave content');
    swapBeforeItem1('stageData');
    await a.client.call('stageData', { box: 'b', items: [item(first, 'd/first'), item(f, 'd/f')], basis: true });
    expect(snapshot(outside)).to.deep.equal(before);
    expect(lstatSync(p('.georep/staging/b/d/first')).ino).to.equal(lstatSync(p('d.moved/first')).ino);
    expect(existsSync(p('.georep/staging/b/d/f'))).to.equal(false);
  });

  describe('inside one op, after the agent looked at the place', () => {
    /** The user swaps d when the agent logs `message` about an entry in d. */
    const swapOnLog = (message: string): void => {
      onInfo = (m, meta) => {
        if (m === message && typeof meta['path'] === 'string' && meta['path'].startsWith('d/')) {
          onInfo = undefined;
          swapForSymlink(a.root, 'd', outside);
        }
      };
    };

    it('CREATE adopting an unknown file sets owner and mode on that file, never on one outside', async () => {
      writeFileSync(p('d/bait'), 'left by someone', { mode: 0o600 });
      swapOnLog('adopted an existing slave entry');
      const codes = await apply(a.client, [ops.create(newGfid(), d, 'bait', 0o100644)]);
      expect(snapshot(outside)).to.deep.equal(before);
      expect(codes).to.deep.equal([]);
      expect(lstatSync(p('d.moved/bait')).mode & 0o7777).to.equal(0o644);
    });

    it('CREATE replacing an unknown directory creates its file in the real directory, never outside', async () => {
      mkdirSync(p('d/occ'));
      swapOnLog('replaced a slave entry');
      const codes = await apply(a.client, [ops.create(newGfid(), d, 'occ')]);
      expect(snapshot(outside)).to.deep.equal(before);
      expect(codes).to.deep.equal([]);
      expect(lstatSync(p('d.moved/occ')).isFile()).to.equal(true);
    });

    it('RENAME over an entry renames into the real directory, never outside', async () => {
      writeFileSync(p('d/moved'), 'old');
      expect(await apply(a.client, [ops.create(newGfid(), d, 'moved')])).to.deep.equal([]);
      swapOnLog('replaced a slave entry');
      const codes = await apply(a.client, [ops.rename(top, at(ROOT_GFID, 'top'), at(d, 'moved'))]);
      expect(snapshot(outside)).to.deep.equal(before);
      expect(codes).to.deep.equal([]);
      expect(lstatSync(p('d.moved/moved')).isFile()).to.equal(true);
    });
  });
});
