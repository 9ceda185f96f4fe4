// Upgrade safety: this georep opens, in place, session folders an older georep wrote
// (test/fixtures/sessions, made by scripts/make-state-fixture.sh from older commits), and
// refuses with one line, touching nothing, a folder or an index a newer georep wrote.

import { expect } from 'chai';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChangelog } from '../../src/changelog/reader.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { STATE_FORMAT, openStateFormat, readStateMarker } from '../../src/cli/state-format.js';
import { sessionDirOf } from '../../src/cli/workdir.js';
import { describeRun, repoRoot, runGeorep } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { codeOf } from '../support/error-code.js';
import { SESSION_FILES } from '../../src/session-files.js';
const STATE_FORMAT_FILE = SESSION_FILES.stateFormat;

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'sessions');
/** Session folders written by georep 0.1.0 at two commits: gfid index schema 3 and 4. */
const OLD_STATES = ['schema3-a46107b', 'schema4-3088d8c'] as const;

/** Every file below `dir` with its bytes, to prove a refused folder was not touched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = e.isFile() ? fs.readFileSync(p).toString('base64') : e.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

function expectOneLine(args: readonly string[], r: RunResult, exit: number): void {
  expect(r.exitCode, describeRun(args, r)).to.equal(exit);
  expect(r.stderr.trimEnd().split('\n'), describeRun(args, r)).to.have.length(1);
  expect(r.stderr).to.match(/^georep: /);
}

function userVersion(db: string): number {
  const raw = new Database(db, { readonly: true });
  try {
    return Number(raw.pragma('user_version', { simple: true }));
  } finally {
    raw.close();
  }
}

describe('cli/state-format (upgrade safety)', function () {
  this.timeout(60_000);
  let tmp: string;
  let master: string;
  let slave: string;
  let workdir: string;
  /** The session folder of master/slave in the workdir. */
  let session: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-state-'));
    master = path.join(tmp, 'm');
    slave = path.join(tmp, 's');
    workdir = path.join(tmp, 'w');
    fs.mkdirSync(master);
    session = sessionDirOf(workdir, fs.realpathSync(master), slave);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The fixture as this pair's session folder, as an upgrade in place finds it. */
  function install(fixture: string): void {
    fs.mkdirSync(path.dirname(session), { recursive: true });
    fs.cpSync(path.join(FIXTURES, fixture), session, { recursive: true });
  }

  for (const fixture of OLD_STATES) {
    it(`opens a 0.1.0 session folder (${fixture}) in place: options, index, ledger, checkpoint, changelogs`, async () => {
      install(fixture);
      const base = ['--workdir', workdir];
      const config = await runGeorep(['config', master, slave, ...base]);
      expect(config.exitCode, describeRun(['config'], config)).to.equal(0);
      expect(config.stdout)
        .to.match(/^sync-jobs\s+2\s+session/m)
        .and.match(/^change-interval\s+1\s+session/m);
      expect(readStateMarker(session)).to.deep.include({ format: STATE_FORMAT });

      const failures = await runGeorep(['failures', master, slave, ...base]);
      expect(failures.exitCode, describeRun(['failures'], failures)).to.equal(0);
      expect(failures.stdout).to.equal('No failures.\n');
      const db = path.join(session, 'index.db');
      expect(userVersion(db)).to.equal(4); // schema 3 migrated in place
      expect(fs.readdirSync(session).filter((n) => n.includes('corrupt'))).to.deep.equal([]);
      const raw = new Database(db, { readonly: true });
      try {
        expect(raw.prepare('SELECT count(*) AS n FROM objects').get()).to.deep.equal({ n: 5 }); // as the old georep left them
        expect(raw.prepare('SELECT count(*) AS n FROM names').get()).to.deep.equal({ n: 6 });
      } finally {
        raw.close();
      }

      const cp = await runGeorep(['checkpoint', 'status', master, slave, ...base]);
      expect(cp.stdout, describeRun(['checkpoint', 'status'], cp)).to.match(/^checkpoint \S+ completed at /);

      // The changes recorded while the worker was paused are still there for it, and parse.
      const dir = path.join(session, 'changelogs');
      const records = fs.readdirSync(dir).flatMap((n) => readChangelog(path.join(dir, n)));
      expect(records.map((r) => r.kind)).to.include('E');
    });
  }

  it('marks a new session folder with this georep state format', async () => {
    const r = await runGeorep(['config', master, slave, 'sync-jobs', '4', '--workdir', workdir]);
    expect(r.exitCode, describeRun(['config'], r)).to.equal(0);
    const marker: unknown = JSON.parse(fs.readFileSync(path.join(session, STATE_FORMAT_FILE), 'utf8'));
    expect(marker).to.have.property('format', STATE_FORMAT);
  });

  it('refuses a folder of a newer state format with one line, for every verb, and touches nothing', async () => {
    install('schema4-3088d8c');
    fs.writeFileSync(
      path.join(session, STATE_FORMAT_FILE),
      JSON.stringify({ format: STATE_FORMAT + 1, georep: '9.9.9' }),
    );
    const before = snapshot(session);
    const runs = [
      ['config', master, slave, '--workdir', workdir],
      ['config', master, slave, 'sync-jobs', '5', '--workdir', workdir],
      ['failures', master, slave, '--workdir', workdir],
      ['start', master, slave, '--workdir', workdir],
      ['sync', '--oneshot', master, slave, '--workdir', workdir],
    ];
    for (const args of runs) {
      const r = await runGeorep(args);
      expectOneLine(args, r, EXIT.usage);
      expect(r.stderr).to.include('georep 9.9.9').and.include('upgrade georep');
    }
    expect(snapshot(session)).to.deep.equal(before);
    expect(fs.existsSync(slave)).to.equal(false);
  });

  it('refuses a gfid index a newer georep wrote instead of moving it aside (no marker needed)', async () => {
    install('schema4-3088d8c');
    const db = path.join(session, 'index.db');
    const raw = new Database(db);
    raw.pragma('user_version = 5');
    raw.close();
    const args = ['failures', master, slave, '--workdir', workdir];
    const r = await runGeorep(args);
    expectOneLine(args, r, EXIT.usage);
    expect(r.stderr).to.include('newer georep');
    expect(userVersion(db)).to.equal(5);
    expect(fs.readdirSync(session).filter((n) => n.includes('corrupt'))).to.deep.equal([]);
  });

  it('reads a missing marker as format 1, and refuses a marker it cannot read', () => {
    expect(readStateMarker(path.join(tmp, 'nothing'))).to.equal('no-folder');
    expect(codeOf(() => openStateFormat(path.join(tmp, 'nothing')))).to.equal(undefined);
    install('schema4-3088d8c');
    expect(readStateMarker(session)).to.equal(undefined);
    openStateFormat(session, '1.2.3');
    expect(readStateMarker(session)).to.deep.equal({ format: STATE_FORMAT, georep: '1.2.3' });
    for (const bad of ['{', '{"format":"1"}', '{"format":0}', '[]']) {
      fs.writeFileSync(path.join(session, STATE_FORMAT_FILE), bad);
      expect(
        codeOf(() => openStateFormat(session)),
        bad,
      ).to.equal('STATE_CORRUPT');
    }
  });
});
