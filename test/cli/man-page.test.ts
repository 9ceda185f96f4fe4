// georep(1): rendered from the help the CLI prints; groff reads it without a warning, and the
// help text of real `georep … --help` runs appears in the rendered page word for word.

import { expect } from 'chai';
import { execa } from 'execa';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandTree } from '../../src/cli/command-tree.js';
import { escapeText, programForDocs, renderManPage } from '../../src/cli/man-page.js';
import { describeRun, runGeorep } from '../support/cli.js';

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

/** True when `needle` occurs as a contiguous run inside `hay`. */
function containsRun(hay: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('cli/man-page', function () {
  this.timeout(60_000);
  let tmp: string;
  let page: string;
  let rendered: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-man-'));
    page = path.join(tmp, 'georep.1');
    fs.writeFileSync(page, renderManPage(programForDocs(), { version: '1.2.3', date: '2026-12-06' }));
    const r = await execa('groff', ['-man', '-Tutf8', '-P-cbou', '-ww', page], { reject: false });
    expect(r.stderr, 'groff warnings').to.equal('');
    expect(r.exitCode).to.equal(0);
    rendered = r.stdout;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('has a header, NAME, SYNOPSIS with every verb, and a section per command', () => {
    expect(rendered).to.match(/^GEOREP\(1\)/);
    expect(rendered).to.include('georep 1.2.3').and.include('2026-12-06');
    expect(rendered).to.match(/NAME\n\s+georep\s+-\s+replicate\s+a\s+directory\s+tree/);
    for (const n of commandTree(programForDocs())) {
      if (n.path.length === 0 || n.path.at(-1) === 'help') continue;
      expect(rendered, n.path.join(' ')).to.include(`georep ${n.path.join(' ')}`);
    }
    expect(rendered).to.not.include('__worker').and.not.include('__complete');
  });

  it('holds, word for word, the help that georep prints', async () => {
    const page = words(rendered);
    for (const args of [['--help'], ['sync', '--help'], ['checkpoint', 'set', '--help'], ['completion', '--help']]) {
      const r = await runGeorep(args);
      expect(r.exitCode, describeRun(args, r)).to.equal(0);
      expect(containsRun(page, words(r.stdout)), `georep ${args.join(' ')} in the man page`).to.equal(true);
    }
  });

  it('escapes what roff would take for requests, escapes or hyphens', () => {
    expect(escapeText('--sync-jobs a\\b …')).to.equal('\\-\\-sync\\-jobs a\\eb \\[u2026]');
  });
});
