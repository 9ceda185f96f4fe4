// Log lines for the systemd journal: sd-daemon `<N>` priority prefixes when stderr is the
// journal stream systemd names in JOURNAL_STREAM, one entry per event, and plain lines otherwise.

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import winston from 'winston';
import { buildWinstonLogger, isJournalStream, journalLine } from '../src/log.js';
import { georepCommand, repoRoot } from './support/cli.js';

/** The line a logger's (only) transport writes for one event, through the transport's own format. */
function lineOf(journal: boolean, level: string, message: string, meta: Record<string, unknown>): string {
  const [transport] = buildWinstonLogger(winston, { level: 'debug', journal }).transports;
  const info = transport?.format?.transform({ level, message, ...meta });
  if (typeof info !== 'object') throw new Error('the format dropped the event');
  return String((info as unknown as Record<symbol, unknown>)[Symbol.for('message')]); // triple-beam MESSAGE
}

describe('log (lazy winston)', () => {
  it("loads winston only once a line at the logger's level is written", () => {
    // A process of its own: this one has winston loaded already.
    const script = `
      import { createRequire } from 'node:module';
      import { createLogger } from ${JSON.stringify(path.join(repoRoot, 'src', 'log.ts'))};
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((k) => k.includes('/node_modules/winston/'));
      const log = createLogger({ level: 'info', stderrFormat: 'json' }).child({ proc: 'agent', keep: 1 });
      log.debug('below the level', { a: 1 });
      console.log('before', loaded());
      log.info('written', { keep: 2, b: 3 });
      console.log('after', loaded());`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).to.equal('before false\nafter true\n');
  });

  it("writes the child's fields with the call's, the call's winning a clash, and drops what is below the level", () => {
    const script = `
      import { createLogger } from ${JSON.stringify(path.join(repoRoot, 'src', 'log.ts'))};
      const log = createLogger({ level: 'info', stderrFormat: 'json' }).child({ proc: 'agent', keep: 1 });
      log.debug('below the level');
      log.info('written', { keep: 2, b: 3 });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.deep.equal([{ level: 'info', message: 'written', proc: 'agent', keep: 2, b: 3 }]);
  });
});

describe('log (journal)', () => {
  it('prefixes each level with its syslog priority and leaves the timestamp to journald', () => {
    expect(journalLine('error', 'e', {})).to.equal('<3>ERROR e');
    expect(journalLine('warn', 'w', {})).to.equal('<4>WARN w');
    expect(journalLine('info', 'batch done', { batch: 'b1', durationMs: 12 })).to.equal(
      '<6>INFO batch done {"batch":"b1","durationMs":12}',
    );
    expect(journalLine('debug', 'd', {})).to.equal('<7>DEBUG d');
  });

  it('keeps an event on one line: control characters in the message and fields are escaped', () => {
    const line = journalLine('warn', 'cannot read /m/a\nb\x1b', { path: '/m/a\nb\u0085', tab: 'x\ty' });
    expect(line).to.not.match(/[\u0000-\u001f\u007f-\u009f]/);
    expect(line).to.equal('<4>WARN cannot read /m/a\\nb\\x1b {"path":"/m/a\\nb\\u0085","tab":"x\\ty"}');
    const fields: unknown = JSON.parse(line.slice(line.indexOf('{')));
    expect(fields).to.deep.equal({ path: '/m/a\nb\u0085', tab: 'x\ty' }); // still valid JSON
  });

  it('writes journal lines through winston when asked, plain timestamped lines otherwise', () => {
    expect(lineOf(true, 'warn', 'worker exited', { proc: 'monitor', code: 3 })).to.equal(
      '<4>WARN worker exited {"proc":"monitor","code":3}',
    );
    expect(lineOf(false, 'info', 'hello', {})).to.match(/^\d\d:\d\d:\d\d(\.\d{3})? INFO hello$/);
  });

  it('takes stderr for the journal only when its device and inode are those JOURNAL_STREAM names', () => {
    const st = { dev: 2049n, ino: 123456n };
    expect(isJournalStream('2049:123456', () => st)).to.equal(true);
    expect(isJournalStream('2049:123457', () => st)).to.equal(false); // inherited, stderr redirected
    expect(isJournalStream(undefined, () => st)).to.equal(false);
    expect(isJournalStream('garbage', () => st)).to.equal(false);
    expect(
      isJournalStream('2049:123456', () => {
        throw new Error('EBADF');
      }),
    ).to.equal(false);
  });

  describe('georep under systemd (a subprocess whose stderr is the stream JOURNAL_STREAM names)', function () {
    this.timeout(60_000);
    let tmp: string;
    beforeEach(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-journal-'));
      fs.mkdirSync(path.join(tmp, 'm'));
      fs.writeFileSync(path.join(tmp, 'm', 'f'), 'x');
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    async function syncLog(journalStream: (file: string) => string): Promise<string> {
      const file = path.join(tmp, 'stderr');
      fs.writeFileSync(file, '');
      const args = ['sync', '--oneshot', path.join(tmp, 'm'), path.join(tmp, 's'), '--workdir', path.join(tmp, 'w')];
      const fd = fs.openSync(file, 'a');
      const cmd = georepCommand();
      try {
        // stderr is the file itself (an fd, as systemd hands a service its journal stream).
        const child = spawn(cmd.file, [...cmd.args, ...args], {
          env: { ...process.env, JOURNAL_STREAM: journalStream(file) },
          stdio: ['ignore', 'ignore', fd],
        });
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code, fs.readFileSync(file, 'utf8')).to.equal(0);
      } finally {
        fs.closeSync(fd);
      }
      return fs.readFileSync(file, 'utf8');
    }

    it('prints every log line with a priority prefix and no timestamp', async () => {
      const text = await syncLog((file) => {
        const st = fs.statSync(file, { bigint: true });
        return `${st.dev}:${st.ino}`;
      });
      const lines = text.trimEnd().split('\n');
      expect(lines.length, text).to.be.greaterThan(0);
      for (const l of lines) expect(l, text).to.match(/^<[3467]>(ERROR|WARN|INFO|DEBUG) \S/);
    });

    it('prints plain lines when JOURNAL_STREAM names another stream', async () => {
      const text = await syncLog(() => '1:1');
      const lines = text.trimEnd().split('\n');
      expect(lines.length, text).to.be.greaterThan(0);
      for (const l of lines) expect(l, text).to.match(/^\d\d:\d\d:\d\d(\.\d{3})? (ERROR|WARN|INFO|DEBUG) /);
    });
  });
});
