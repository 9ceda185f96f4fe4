// Session files: src/session-files.ts is the one module that spells the names of the files and
// folders georep keeps on disk (issue 16). This reads src/ as text and finds any other module
// that spells one of those names in a string (a quoted literal, or a path segment in a template
// such as `${root}/.georep`). Comment lines are left out: prose may name a file.
//
// Names that are also ordinary words in the code ('lock', 'seed', 'staging', 'xsync', 'paused',
// 'sessions') are not searched for: 'xsync' is a crawl mode too. Every name with a dot, dash or
// underscore in it is, and the short runtime names by their exact literal.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  DAEMON_FILES,
  RUNTIME_FILES,
  SESSION_FILES,
  SLAVE_STATE_DIR,
  SLAVE_STATE_FILES,
  runtimeDirName,
} from '../src/session-files.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
const HOME = 'session-files.ts';

/** The plain names of session-files.ts worth searching for (see header). */
function distinctiveNames(): string[] {
  const names = [
    ...Object.values(SESSION_FILES),
    ...Object.values(DAEMON_FILES),
    ...Object.values(SLAVE_STATE_FILES),
    SLAVE_STATE_DIR,
  ];
  return [...new Set(names)].filter((n) => /[._-]/.test(n) || n === SESSION_FILES.changelogs);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Patterns that spell a session file's name, with what each finds. */
function spellings(): { readonly what: string; readonly re: RegExp }[] {
  const out = distinctiveNames().map((n) => ({
    what: n,
    // The name as a whole string (`'index.db'`, `'changelogs/'`), or as a path segment after an
    // interpolation (`${root}/.georep to rebind`): '.georep-hop.', 'ssh-keygen', 'changelogs
    // published' and conf/georep.conf (the option schema, not a session file) are not.
    re: new RegExp(`['"\`]${escape(n)}['"\`/]|\\}/${escape(n)}(?=['"\`/ ])`),
  }));
  out.push({ what: RUNTIME_FILES.sshControl, re: new RegExp(`['"\`]${escape(RUNTIME_FILES.sshControl)}['"\`]`) });
  const runtimePrefix = runtimeDirName(0).replace(/0$/, '');
  out.push({ what: `${runtimePrefix}<uid>`, re: new RegExp(`['"\`]${escape(runtimePrefix)}\\$\\{`) });
  return out;
}

/** `file:line: text` for every line of src/ outside session-files.ts that spells one. */
function stragglers(): string[] {
  const found: string[] = [];
  const files = fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && f !== HOME)
    .sort();
  const patterns = spellings();
  for (const file of files) {
    const lines = fs.readFileSync(path.join(SRC, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\/?\*)/.test(line)) return;
      for (const p of patterns) if (p.re.test(line)) found.push(`${file}:${i + 1}: ${p.what}: ${line.trim()}`);
    });
  }
  return found;
}

describe('session file names', () => {
  it('finds what it looks for (the check itself)', () => {
    const byName = new Map(spellings().map((p) => [p.what, p.re]));
    expect(byName.get('index.db')?.test("path.join(dir, 'index.db')")).to.equal(true);
    expect(byName.get('.georep')?.test('remove ${root}/.georep to rebind')).to.equal(true);
    expect(byName.get('.georep')?.test("Buffer.from('.georep-hop.')")).to.equal(false);
    expect(byName.get('ssh-key')?.test("execFileSync('ssh-keygen', [])")).to.equal(false);
    expect(byName.get('changelogs')?.test("gauge('x', 'changelogs published')")).to.equal(false);
    expect(byName.get('georep.conf')?.test("new URL('../../conf/georep.conf', base)")).to.equal(false);
    expect(byName.get('cm')?.test("path.join(dir, 'cm')")).to.equal(true);
    expect(byName.get('georep-<uid>')?.test('path.join(base, `georep-${uid}`)')).to.equal(true);
  });

  it('are spelled only in src/session-files.ts', () => {
    expect(stragglers()).to.deep.equal([]);
  });
});
