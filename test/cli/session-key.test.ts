// The session key and its authorized_keys line: the key pair is made once (0600, kept after),
// and the forced command in the line gives back exactly [georep…, slave-gate, --, ROOT] once
// sshd has removed its quoting and the login shell its own, for any root path.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { authorizedKeysLine, ensureSessionKey } from '../../src/cli/session-key.js';
import { splitShellWords } from '../../src/slave/shell-words.js';
import { codeOf } from '../support/error-code.js';

/** The command="…" value as sshd reads it (auth-options.c, opt_dequote): a \ before " is dropped. */
function forcedCommand(line: string): string {
  const start = 'restrict,command="';
  if (!line.startsWith(start)) throw new Error(`no forced command in ${line}`);
  let out = '';
  for (let i = start.length; i < line.length; i++) {
    if (line[i] === '"') return out;
    if (line[i] === '\\' && line[i + 1] === '"') i++;
    out += line[i];
  }
  throw new Error(`unclosed forced command in ${line}`);
}

describe('session key', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-key-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is made once, 0600, and kept on the next run', function () {
    const first = ensureSessionKey(dir, 'georep-session-x');
    expect(first.created).to.equal(true);
    expect(fs.statSync(first.file).mode & 0o777).to.equal(0o600);
    expect(first.publicKey).to.match(/^ssh-ed25519 AAAA\S+ georep-session-x$/);
    expect(first.fingerprint).to.match(/^SHA256:/);
    const again = ensureSessionKey(dir, 'georep-session-x');
    expect(again).to.deep.equal({ ...first, created: false });
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['ssh-key', 'ssh-key.pub']);
  });

  it('gives back the exact root from the forced command, whatever the path holds', function () {
    const char = fc.constantFrom(...'aZ09/._- \'"\\$`;&|<>()*?[]{}~#!%é');
    const tail = fc.array(char, { minLength: 1, maxLength: 20 }).map((cs) => '/' + cs.join(''));
    fc.assert(
      fc.property(tail, (root) => {
        const line = authorizedKeysLine('ssh-ed25519 AAAAC3Nz k', '/usr/bin/node /opt/georep/main.js', root);
        expect(splitShellWords(forcedCommand(line))).to.deep.equal([
          '/usr/bin/node',
          '/opt/georep/main.js',
          'slave-gate',
          '--',
          root,
        ]);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a root with a line break (an authorized_keys line cannot carry it)', function () {
    expect(codeOf(() => authorizedKeysLine('ssh-ed25519 AAAA k', 'georep', '/a\nb'))).to.equal('USAGE');
  });
});
