// Shell words: splits a remote command line, as sshd hands it to a forced command in
// SSH_ORIGINAL_COMMAND, into the words a POSIX shell would pass to the program. Invariant: a
// line that a shell would do anything more with than quote removal (expand, redirect, chain,
// glob, substitute) is refused, never guessed at: the gate only runs lines our own side built,
// and those are plain words quoted by shellQuote (src/syncer/remote.ts) or by rsync's own
// backslash escaping.

import { GeorepError } from '../errors.js';

/** Characters that mean something to a shell when they stand outside quotes. */
const UNQUOTED_SPECIAL = new Set([...'|&;<>()$`*?[]{}~#!"\'\\\n\r']);
/** Inside double quotes, these would still expand (or end the quote): only \-escaped forms pass. */
const DOUBLE_QUOTED_SPECIAL = new Set(['$', '`', '!']);
const DOUBLE_QUOTED_ESCAPABLE = new Set(['$', '`', '"', '\\']);

function refuse(line: string, why: string): GeorepError {
  return new GeorepError('GATE_REFUSED', `the command line holds ${why}: ${JSON.stringify(line.slice(0, 200))}`);
}

/**
 * The words of `line`: separated by unquoted spaces or tabs, with single quotes, double quotes
 * and backslashes removed as a shell removes them. Throws GATE_REFUSED for anything a shell
 * would expand or interpret (an unquoted `;`, `$`, `*`, a redirection, an unclosed quote, …).
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const take = (s: string): void => {
    word = (word ?? '') + s;
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw refuse(line, 'an unclosed single quote');
      take(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) throw refuse(line, 'an unclosed double quote');
        const d = line[i] as string;
        if (d === '"') break;
        if (d === '\\' && DOUBLE_QUOTED_ESCAPABLE.has(line[i + 1] ?? '')) {
          s += line[i + 1];
          i += 2;
          continue;
        }
        if (DOUBLE_QUOTED_SPECIAL.has(d) || d === '\\') throw refuse(line, `${d} inside double quotes`);
        s += d;
        i++;
      }
      take(s);
      i++;
    } else if (c === '\\') {
      const next = line[i + 1];
      if (next === undefined || next === '\n') throw refuse(line, 'a trailing backslash');
      take(next);
      i += 2;
    } else if (UNQUOTED_SPECIAL.has(c) || c < ' ' || c === '\x7f') {
      throw refuse(line, `an unquoted ${JSON.stringify(c)}`);
    } else {
      take(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
