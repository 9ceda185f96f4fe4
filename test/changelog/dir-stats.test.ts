import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { dirStats, subdirNames } from '../../src/changelog/dir-stats.js';
import type { LstatView } from '../../src/changelog/dir-stats.js';

const FIELDS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blocks'] as const;
const TIMES = ['mtimeNs', 'ctimeNs', 'birthtimeNs'] as const;
const KINDS = [
  'isFile',
  'isDirectory',
  'isSymbolicLink',
  'isFIFO',
  'isSocket',
  'isCharacterDevice',
  'isBlockDevice',
] as const;

/** Every field the walks read, as plain data (atime left out: reading a file moves it). */
function fieldsOf(st: LstatView | undefined): Record<string, unknown> | undefined {
  if (st === undefined) return undefined;
  return Object.fromEntries([
    ...FIELDS.map((f) => [f, st[f]]),
    ...TIMES.map((f) => [f, st[f]]),
    ...KINDS.map((k) => [k, st[k]()]),
  ]);
}

describe('dirStats', () => {
  let tmp: string;
  let dir: Buffer;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-dir-stats-'));
    dir = Buffer.from(path.join(tmp, 'd'));
    fs.mkdirSync(dir);
    const at = (name: string | Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), Buffer.from(name)]);
    fs.writeFileSync(at('#plain'), 'content');
    fs.writeFileSync(at(Buffer.from([0x66, 0xff, 0x0a, 0x20])), ''); // non-UTF-8, newline, space
    fs.writeFileSync(at('x'.repeat(255)), 'long');
    fs.linkSync(at('#plain'), at('..hard'));
    fs.mkdirSync(at('sub'), 0o750);
    fs.symlinkSync('sub/../#plain', at('-link'));
    execFileSync('mkfifo', [path.join(tmp, 'd', ';fifo')]);
    const fd = fs.openSync(at('sparse'), 'w');
    fs.ftruncateSync(fd, 10 * 2 ** 20);
    fs.closeSync(fd);
    fs.utimesSync(at('sub'), -1.5, -86400.25); // before 1970
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const useAddon of [true, false]) {
    it(`${useAddon ? 'native' : 'node:fs'}: lists every name with what lstat says of it`, () => {
      const got = dirStats(dir, useAddon) ?? [];
      const names = got.map((e) => e.name.toString('latin1')).sort();
      const want = fs
        .readdirSync(dir, { encoding: 'buffer' })
        .map((n) => n.toString('latin1'))
        .sort();
      expect(names).to.deep.equal(want);
      expect(names).to.have.length(8);
      for (const e of got) {
        const st = fs.lstatSync(Buffer.concat([dir, Buffer.from('/'), e.name]), { bigint: true });
        expect(fieldsOf(e.st), e.name.toString('latin1')).to.deep.equal(fieldsOf(st));
      }
    });

    it(`${useAddon ? 'native' : 'node:fs'}: a directory that is gone or is a file lists nothing`, () => {
      expect(dirStats(Buffer.from(path.join(tmp, 'nothing')), useAddon)).to.equal(undefined);
      expect(dirStats(Buffer.from(path.join(tmp, 'd', '#plain')), useAddon)).to.equal(undefined);
      fs.mkdirSync(path.join(tmp, `empty-${useAddon}`));
      expect(dirStats(Buffer.from(path.join(tmp, `empty-${useAddon}`)), useAddon)).to.deep.equal([]);
    });
  }

  it('native: a symlink at the directory is not followed (its parent shows the link)', () => {
    fs.symlinkSync('d', path.join(tmp, 'via-link'));
    expect(dirStats(Buffer.from(path.join(tmp, 'via-link')))).to.equal(undefined);
  });

  for (const useAddon of [true, false]) {
    it(`${useAddon ? 'native' : 'node:fs'}: any other failure throws with its errno`, () => {
      const tooLong = Buffer.from(path.join(tmp, 'n'.repeat(300)));
      expect(() => dirStats(tooLong, useAddon)).to.throw(/ENAMETOOLONG/);
    });
  }
});

describe('subdirNames', () => {
  let tmp: string;
  let dir: Buffer;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-subdirs-'));
    dir = Buffer.from(path.join(tmp, 'd'));
    fs.mkdirSync(dir);
    const at = (name: string | Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), Buffer.from(name)]);
    fs.mkdirSync(at('sub'));
    fs.mkdirSync(at(Buffer.from([0x23, 0xff, 0x0a, 0x20]))); // '#', non-UTF-8, newline, space
    fs.mkdirSync(at('..dots'));
    fs.mkdirSync(at('x'.repeat(255)));
    fs.writeFileSync(at('file'), 'not a directory');
    fs.symlinkSync('sub', at('link-to-dir'));
    execFileSync('mkfifo', [path.join(tmp, 'd', ';fifo')]);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const useAddon of [true, false]) {
    const how = useAddon ? 'native' : 'node:fs';
    it(`${how}: names the subdirectories only (not files, FIFOs or symlinks to a directory)`, () => {
      const got = (subdirNames(dir, useAddon) ?? []).map((n) => n.toString('latin1')).sort();
      const want = ['sub', Buffer.from([0x23, 0xff, 0x0a, 0x20]).toString('latin1'), '..dots', 'x'.repeat(255)].sort();
      expect(got).to.deep.equal(want);
    });

    it(`${how}: a directory that is gone, a file or a symlink names nothing; others throw`, () => {
      expect(subdirNames(Buffer.from(path.join(tmp, 'nothing')), useAddon)).to.equal(undefined);
      expect(subdirNames(Buffer.from(path.join(tmp, 'd', 'file')), useAddon)).to.equal(undefined);
      fs.mkdirSync(path.join(tmp, `empty-${how}`));
      expect(subdirNames(Buffer.from(path.join(tmp, `empty-${how}`)), useAddon)).to.deep.equal([]);
      expect(() => subdirNames(Buffer.from(path.join(tmp, 'n'.repeat(300))), useAddon)).to.throw(/ENAMETOOLONG/);
    });
  }

  it('native: a symlink at the directory is not followed', () => {
    expect(subdirNames(Buffer.from(path.join(tmp, 'd', 'link-to-dir')))).to.equal(undefined);
  });
});
