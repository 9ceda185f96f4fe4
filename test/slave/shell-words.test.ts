// splitShellWords: the words a shell would pass for lines our side builds (shellQuote, rsync's
// backslash escaping), and a refusal for anything a shell would do more with.

import { expect } from 'chai';
import fc from 'fast-check';
import { splitShellWords } from '../../src/slave/shell-words.js';
import { shellQuote } from '../../src/syncer/remote.js';
import { codeOf } from '../support/error-code.js';

describe('splitShellWords', function () {
  it('round-trips any words quoted by shellQuote', function () {
    // Words of the characters that matter to a shell, plus plain and non-ASCII ones.
    const char = fc.constantFrom(...'aZ09/._-= \t\n\'"\\$`;&|<>()*?[]{}~#!%é');
    const word = fc.array(char, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (words) => {
        expect(splitShellWords(words.map(shellQuote).join(' '))).to.deep.equal(words);
      }),
      { numRuns: 500 },
    );
  });

  it("takes rsync's backslash-escaped arguments and double quotes", function () {
    expect(splitShellWords(String.raw`rsync --server -logDtpre.iLsfxCIvu . /x\ y/\$z\;\'q/`)).to.deep.equal([
      'rsync',
      '--server',
      '-logDtpre.iLsfxCIvu',
      '.',
      `/x y/$z;'q/`,
    ]);
    expect(splitShellWords(String.raw`a "b c\$\"" 'd'e  f`)).to.deep.equal(['a', 'b c$"', 'de', 'f']);
  });

  for (const line of [
    'cat /etc/passwd; id',
    'a && b',
    'a | b',
    'a > /tmp/x',
    'echo $HOME',
    'echo `id`',
    'echo "$(id)"',
    'ls *',
    'ls ~root',
    "a 'unclosed",
    'a "unclosed',
    'a\nb',
    'a \\',
    'echo {a,b}',
  ]) {
    it(`refuses ${JSON.stringify(line)}`, function () {
      expect(codeOf(() => splitShellWords(line))).to.equal('GATE_REFUSED');
    });
  }
});
