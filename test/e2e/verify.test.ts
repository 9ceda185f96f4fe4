// E2E for `georep verify` and `georep repair` (issue 15): real trees, a real agent, real rsync.
// An equal pair gives only `ok` lines; each kind of slave tampering is named with its verdict;
// repair (from a file, or verify --repair in one pass) brings the slave back, which an
// independent walk (tree-compare) confirms; a killed verify resumes with the same totals.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { execa } from 'execa';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { displayPath as linepath } from '../../src/changelog/index.js';
import { georepCommand } from '../support/cli.js';
import { sessionFixture } from '../support/session-fixture.js';
import type { RunResult } from '../support/cli.js';
import { joinBytes, setTimesNs } from '../support/tree-bytes.js';
import { AWKWARD, buildAwkwardTree, buildBulkTree, mutate } from '../support/tree-builder.js';
import { assertTreesEqual, compareTrees, formatDifferences } from '../support/tree-compare.js';
import { walkTree } from '../support/tree-walk.js';

interface Line {
  readonly path: string;
  readonly gfid: string | null;
  readonly verdict: string;
  readonly type: string;
}
interface Done {
  readonly done: true;
  readonly divergent: number;
  readonly totals: Record<string, number>;
  readonly seconds: number;
  readonly resumed: boolean;
}

function parseOutput(stdout: string): { lines: Line[]; done: Done } {
  const parsed = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line | Done);
  const last = parsed.pop();
  expect(last !== undefined && 'done' in last, 'the last line is the closing line').to.equal(true);
  return { lines: parsed as Line[], done: last as Done };
}

/** What the tamper step does to the slave, and the verdict each must get. */
const TAMPERED: Readonly<Record<string, string>> = {
  [AWKWARD.space.replace(' ', '%20')]: 'missing', // deleted
  [AWKWARD.big]: 'size', // truncated
  'modes/m0444': 'mode', // chmod
  'extra.txt': 'extra', // made on the slave only
  [AWKWARD.symlinkDangling]: 'target', // retargeted
  [AWKWARD.hardLinks[1]]: 'links', // hard link broken (a copy put in its place)
};
/** Rewritten with its size and mtime put back: only --checksum can tell. */
const REWRITTEN = AWKWARD.dash;

function tamper(slave: string): void {
  mutate(slave, [
    { op: 'delete', path: AWKWARD.space },
    { op: 'rewrite-keep-mtime', path: REWRITTEN },
    { op: 'chmod', path: AWKWARD.mode0444, mode: 0o640 },
    { op: 'add-file', path: 'extra.txt', content: 'only on the slave\n' },
    { op: 'delete', path: AWKWARD.symlinkDangling },
    { op: 'add-symlink', path: AWKWARD.symlinkDangling, target: 'somewhere/else' },
  ]);
  fs.truncateSync(path.join(slave, AWKWARD.big), 100);
  // Break a hard link: a copy of the same content, mode and mtime takes the name's place.
  const linked = joinBytes(slave, AWKWARD.hardLinks[1]);
  const copy = joinBytes(slave, 'hard/.copy');
  fs.copyFileSync(linked, copy);
  const st = fs.lstatSync(linked, { bigint: true });
  const ns = (t: bigint) => ({ sec: Number(t / 1_000_000_000n), nsec: Number(t % 1_000_000_000n) });
  setTimesNs(copy, ns(st.mtimeNs));
  fs.renameSync(copy, linked);
}

describe('e2e: georep verify and repair', function () {
  this.timeout(120_000);
  const s = sessionFixture({ prefix: 'georep-verify-' });

  const run = (args: readonly string[], exit: number): Promise<RunResult> => s.expectExit(exit, args);
  const sync = (...flags: string[]) => run(['sync', '--oneshot', s.master, s.slave, ...flags], EXIT.ok);
  const verify = async (exit: number, ...flags: string[]) =>
    parseOutput((await run(['verify', '--json', s.master, s.slave, ...flags], exit)).stdout);
  const smallTree = (): void => buildAwkwardTree(s.master, { bigFileBytes: 256 * 1024, sparseBytes: 2 * 1024 * 1024 });
  const equal = (): void => {
    const diffs = compareTrees(s.master, s.slave);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  };

  it('an equal pair: one ok line per entry, the closing line with zero divergent, exit 0', async function () {
    smallTree();
    await sync();
    const expected = walkTree(s.master)
      .map((e) => lineOf(e.rel))
      .sort();
    for (const flags of [[], ['--checksum']]) {
      const { lines, done } = await verify(EXIT.ok, ...flags);
      expect(lines.filter((l) => l.verdict !== 'ok')).to.deep.equal([]);
      expect(lines.map((l) => l.path).sort()).to.deep.equal(expected);
      expect(lines.every((l) => l.gfid !== null)).to.equal(true);
      expect(done).to.include({ divergent: 0, resumed: false });
      expect(done.totals['examined']).to.equal(expected.length);
      expect(done.seconds).to.be.a('number');
    }
    const human = await run(['verify', s.master, s.slave], EXIT.ok);
    expect(human.stdout).to.include('No divergence');
  });

  it('names each tampering with its verdict (the rewrite only with --checksum); repair --from fixes them all', async function () {
    smallTree();
    await sync();
    tamper(s.slave);
    const plain = await verify(EXIT.syncFailed);
    const found = verdicts(plain.lines);
    for (const [p, v] of Object.entries(TAMPERED)) expect(found.get(p), p).to.equal(v);
    expect(found.get(REWRITTEN), 'no --checksum: same size and mtime').to.equal('ok');
    expectOnlyParentsBesides(plain.lines, [...Object.keys(TAMPERED)]);

    const linesFile = path.join(s.tmp, 'verify.jsonl');
    const checked = await run(['verify', '--json', '--checksum', s.master, s.slave], EXIT.syncFailed);
    fs.writeFileSync(linesFile, checked.stdout);
    const withSums = verdicts(parseOutput(checked.stdout).lines);
    expect(withSums.get(REWRITTEN)).to.equal('content');
    for (const [p, v] of Object.entries(TAMPERED)) expect(withSums.get(p), p).to.equal(v);

    const human = await run(['verify', '--checksum', s.master, s.slave], EXIT.syncFailed);
    expect(human.stdout).to.include('divergent').and.include('extra.txt');

    const repaired = await run(['repair', s.master, s.slave, '--from', linesFile], EXIT.ok);
    expect(repaired.stdout).to.match(/queued to sync again/);
    equal();
    const after = await verify(EXIT.ok, '--checksum');
    expect(after.done.divergent).to.equal(0);
    const failures = await run(['failures', s.master, s.slave], EXIT.ok);
    expect(failures.stdout).to.include('No failures');
  });

  it('verify --repair does both in one pass; with ignore-deletes the extra entry stays', async function () {
    smallTree();
    await sync();
    tamper(s.slave);
    const r = await run(['verify', '--repair', '--checksum', '--ignore-deletes', s.master, s.slave], EXIT.ok);
    expect(r.stdout).to.include('kept (ignore-deletes)');
    const diffs = compareTrees(s.master, s.slave);
    expect(diffs.map((d) => `${d.path}: ${d.what}`)).to.deep.equal(['extra.txt: extra']);
    await run(['verify', '--repair', s.master, s.slave], EXIT.ok);
    equal();
    expect((await verify(EXIT.ok, '--checksum')).done.divergent).to.equal(0);
  });

  it('repair obeys the mass-delete brake for extra entries: kept over delete-brake-percent, removed with --allow-mass-delete', async function () {
    smallTree();
    await sync();
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(s.slave, `extra-${i}`), 'only on the slave\n');
    const brake = ['--delete-brake-min', '5']; // 12 extras of about 50 entries: over 10 %
    const refused = await run(['verify', '--repair', s.master, s.slave, ...brake], EXIT.syncFailed);
    expect(refused.stdout).to.include('MASS_DELETE').and.include('--allow-mass-delete');
    expect(fs.existsSync(path.join(s.slave, 'extra-0')), 'nothing removed').to.equal(true);
    await run(['verify', '--repair', '--allow-mass-delete', s.master, s.slave, ...brake], EXIT.ok);
    equal();
  });

  it('repair counts what extra directories hold for the brake, not the lines that name them', async function () {
    smallTree();
    await sync();
    for (let d = 0; d < 3; d++) {
      fs.mkdirSync(path.join(s.slave, `extra-dir-${d}`, 'deeper'), { recursive: true });
      for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(s.slave, `extra-dir-${d}`, 'deeper', `f${i}`), 'x');
    }
    // 3 lines, under delete-brake-min (100); 126 entries, over it and over 10 % of the slave.
    const refused = await run(['verify', '--repair', s.master, s.slave], EXIT.syncFailed);
    expect(refused.stdout).to.include('MASS_DELETE').and.include('126 deletes');
    expect(fs.readdirSync(path.join(s.slave, 'extra-dir-2', 'deeper'))).to.have.length(40);
    await run(['verify', '--repair', '--allow-mass-delete', s.master, s.slave], EXIT.ok);
    equal();
  });

  it('repair from old lines acts on what the master has now: it keeps an extra the master made since, and sends a retyped entry whole', async function () {
    smallTree();
    fs.writeFileSync(path.join(s.master, 'was-a-file'), 'a file when verify ran\n');
    await sync();
    fs.writeFileSync(path.join(s.slave, 'report.pdf'), 'junk only on the slave\n');
    fs.rmSync(path.join(s.slave, 'was-a-file'));
    const linesFile = path.join(s.tmp, 'old.jsonl');
    fs.writeFileSync(linesFile, (await run(['verify', '--json', s.master, s.slave], EXIT.syncFailed)).stdout);
    const old = verdicts(parseOutput(fs.readFileSync(linesFile, 'utf8')).lines);
    expect([old.get('report.pdf'), old.get('was-a-file')]).to.deep.equal(['extra', 'missing']);
    // Since the verify: the master made report.pdf, and was-a-file became a directory; synced.
    fs.writeFileSync(path.join(s.master, 'report.pdf'), 'the master report\n');
    fs.rmSync(path.join(s.master, 'was-a-file'));
    fs.mkdirSync(path.join(s.master, 'was-a-file'));
    for (const c of ['c1', 'c2', 'c3']) fs.writeFileSync(path.join(s.master, 'was-a-file', c), c);
    await sync();
    const r = await run(['repair', s.master, s.slave, '--from', linesFile], EXIT.syncFailed);
    expect(r.stdout).to.include('CHANGED_SINCE_VERIFY');
    equal();
    await sync(); // and later syncs have nothing left to find
    equal();
  });

  it('an emptied master root makes every slave entry extra: repair removes none of them', async function () {
    smallTree();
    await sync();
    const lines = path.join(s.tmp, 'v.jsonl');
    for (const name of fs.readdirSync(s.master, { encoding: 'buffer' }))
      fs.rmSync(joinBytes(s.master, name), { recursive: true });
    fs.writeFileSync(lines, (await run(['verify', '--json', s.master, s.slave], EXIT.syncFailed)).stdout);
    const before = walkTree(s.slave).length;
    const r = await run(['repair', s.master, s.slave, '--from', lines, '--queue-only'], EXIT.syncFailed);
    expect(r.stdout).to.include('MASS_DELETE').and.include('empty');
    expect(walkTree(s.slave).length).to.equal(before);
  });

  it('a directory missing on the slave, and one of another type, come back whole', async function () {
    smallTree();
    await sync();
    fs.rmSync(path.join(s.slave, 'nested'), { recursive: true });
    fs.rmSync(path.join(s.slave, 'links'), { recursive: true });
    fs.writeFileSync(path.join(s.slave, 'links'), 'a file where a directory was\n');
    fs.rmSync(path.join(s.slave, AWKWARD.emptyFile));
    fs.mkdirSync(path.join(s.slave, AWKWARD.emptyFile));
    const { lines } = await verify(EXIT.syncFailed);
    const found = verdicts(lines);
    expect(found.get('nested')).to.equal('missing');
    expect(found.get('nested/a/b/c/deep.txt')).to.equal('missing');
    expect(found.get('links')).to.equal('type');
    expect(found.get(AWKWARD.symlinkToFile)).to.equal('missing');
    expect(found.get(AWKWARD.emptyFile)).to.equal('type');
    await run(['verify', '--repair', s.master, s.slave], EXIT.ok);
    equal();
  });

  it('a verify killed half-way resumes after its last saved directory and ends with the same totals', async function () {
    this.timeout(180_000);
    buildBulkTree(s.master, { files: 3000, dirs: 60, totalBytes: 3 * 1024 * 1024, seed: 5 });
    await sync();
    fs.rmSync(path.join(s.slave, fs.readdirSync(s.slave).find((n) => n !== '.georep') ?? ''), { recursive: true });
    fs.writeFileSync(path.join(s.slave, 'zz-extra'), 'x');
    const full = await verify(EXIT.syncFailed, '--checksum');
    expect(full.done.divergent).to.be.above(0);

    // Slowed to ~2 s, killed (-9) once it saved a position, then run again.
    const cmd = georepCommand();
    const args = ['verify', '--json', '--checksum', '--verify-rate', '1500', s.master, s.slave, '--workdir', s.work];
    const child = execa(cmd.file, [...cmd.args, ...args], { reject: false, stdin: 'ignore' });
    const sessions = path.join(s.work, 'sessions');
    const saved = (): boolean =>
      fs.existsSync(sessions) &&
      fs.readdirSync(sessions).some((d) => fs.existsSync(path.join(sessions, d, 'verify-position.json')));
    while (!saved()) {
      expect(child.exitCode, 'the verify ended before it saved a position').to.equal(null);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal).to.equal('SIGKILL');
    const firstPart = killed.stdout.split('\n').filter((l) => l !== '').length;

    const resumed = await verify(EXIT.syncFailed, '--checksum');
    expect(resumed.done.resumed).to.equal(true);
    expect(resumed.done.totals).to.deep.equal(full.done.totals);
    expect(resumed.lines.length, 'the resumed run skips what was done').to.be.below(full.lines.length);
    // Every line of the full run is in the killed run's part or in the resumed one.
    expect(firstPart + resumed.lines.length).to.be.at.least(full.lines.length);
    // Done: the next verify starts over.
    expect((await verify(EXIT.syncFailed, '--checksum')).done.resumed).to.equal(false);
  });
});

/** A path as verify writes it (the name codec, '.' for the root). */
function lineOf(rel: Buffer): string {
  return linepath(rel);
}

function verdicts(lines: readonly Line[]): Map<string, string> {
  return new Map(lines.map((l) => [l.path, l.verdict]));
}

/** Besides `paths`, only directories holding one of them may diverge (their mtime moved). */
function expectOnlyParentsBesides(lines: readonly Line[], paths: readonly string[]): void {
  const parents = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.')));
  const others = lines.filter((l) => l.verdict !== 'ok' && !paths.includes(l.path));
  for (const l of others) {
    expect(parents.has(l.path), `${l.path}: ${l.verdict}`).to.equal(true);
    expect(l.verdict).to.equal('mtime');
  }
}
