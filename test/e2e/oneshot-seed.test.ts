// E2E for the seed copy: a one-shot sync into an empty local slave copies the tree with cp,
// then adopts only what is as the crawl saw it. A `cp` earlier in PATH stands in for a master
// that changes while it is copied, and for a copy that fails: the sync must still end with a
// mirror, sending what the copy got wrong and dropping what it made that the master lacks.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, runGeorep } from '../support/cli.js';
import { assertTreesEqual } from '../support/tree-compare.js';

const realCp = execFileSync('sh', ['-c', 'command -v cp'], { encoding: 'utf8' }).trim();

describe('e2e: sync --oneshot seed copy', function () {
  this.timeout(60_000);
  let tmp: string;
  let master: string;
  let slave: string;
  let work: string;
  let bin: string;

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-e2e-seed-')));
    [master, slave, work, bin] = ['master', 'slave', 'work', 'bin'].map((d) => path.join(tmp, d)) as [
      string,
      string,
      string,
      string,
    ];
    fs.mkdirSync(path.join(master, 'dir', 'sub'), { recursive: true });
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(master, 'a.txt'), 'the master content of a');
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(master, 'dir', `f${i}`), `file ${i}\n`.repeat(i + 1));
    fs.writeFileSync(path.join(master, 'dir', 'sub', 'deep'), 'deep');
    fs.linkSync(path.join(master, 'dir', 'f1'), path.join(master, 'hard-link-to-f1'));
    fs.symlinkSync('dir/f2', path.join(master, 'sym'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A `cp` that runs the real one, then does `after` (shell, $dest is the folder copied into). */
  const wrapCp = (after: string): void => {
    const script = `#!/bin/sh
dest=""
prev=""
for a in "$@"; do [ "$prev" = "-t" ] && dest="$a"; prev="$a"; done
"${realCp}" "$@" || exit $?
${after}
`;
    fs.writeFileSync(path.join(bin, 'cp'), script, { mode: 0o755 });
  };

  const sync = async (...flags: string[]) => {
    const args = ['sync', '--oneshot', master, slave, '--workdir', work, ...flags];
    const r = await runGeorep(args, { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    return `${r.stdout}\n${r.stderr}`;
  };

  it('copies an empty slave in bulk, then re-runs with nothing to send', async () => {
    const out = await sync();
    // Three cp processes take a.txt+sym, dir, hard-link-to-f1: the hard link between dir/f1 and
    // hard-link-to-f1 is split, so its LINK is the one entry op; the rest is adopted.
    expect(out).to.match(/2[0-9] entries copied in bulk \(seed copy\), 1 entry op,/);
    expect(out).to.include('0 files with data');
    assertTreesEqual(master, slave);
    const again = await sync();
    expect(again).not.to.include('copied in bulk');
    expect(again).to.include('0 entry ops');
    expect(again).to.include('0 files with data');
  });

  it('adopts as much when batches wait for the copy and are classified from the index', async () => {
    // Batches of 4 records and a slow cp: all but the first two wait for the copy and are
    // classified afterwards from the index and a fresh lstat, not from the crawl's.
    fs.writeFileSync(path.join(bin, 'cp'), `#!/bin/sh\nsleep 1\nexec "${realCp}" "$@"\n`, { mode: 0o755 });
    const out = await sync('--xsync-changelog-entries', '4');
    expect(out).to.match(/2[0-9] entries copied in bulk \(seed copy\), 1 entry op,/);
    expect(out).to.include('0 files with data');
    assertTreesEqual(master, slave);
  });

  it('sends what the copy got wrong and purges what it made that the master lacks', async () => {
    // The copy of a.txt gets other content with the master's mtime kept, and the copy gains a
    // file the master never had (as when one is deleted between the copy and the crawl).
    wrapCp(`if [ -f "$dest/a.txt" ]; then printf 'other' > "$dest/a.txt"; fi
echo stray > "$dest/stray-from-copy"`);
    const out = await sync();
    expect(out).to.match(/\d+ entries copied in bulk/);
    expect(out).to.include('1 file with data');
    expect(fs.readFileSync(path.join(slave, 'a.txt'), 'utf8')).to.equal('the master content of a');
    expect(fs.existsSync(path.join(slave, 'stray-from-copy'))).to.equal(false);
    assertTreesEqual(master, slave);
  });

  it('drops a failed copy and syncs file by file', async () => {
    wrapCp('exit 1');
    const out = await sync();
    expect(out).to.include('seed copy failed');
    expect(out).not.to.include('copied in bulk');
    expect(out).to.match(/[1-9]\d* files with data/);
    expect(fs.readdirSync(path.join(slave, '.georep'))).not.to.include('seed');
    assertTreesEqual(master, slave);
  });

  it('--seed-copy false sends every file through the gfid pipeline', async () => {
    const out = await sync('--seed-copy', 'false');
    expect(out).not.to.include('copied in bulk');
    expect(out).to.match(/2[0-9] files with data/);
    assertTreesEqual(master, slave);
  });
});
