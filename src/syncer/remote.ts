// Command-line words for engines: option strings split on whitespace, and a command for a
// remote shell quoted word by word, since ssh joins its arguments into one shell line.

/** `rsync-options` / `ssh-command` are plain words separated by whitespace (no quoting). */
export function splitWords(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

/** One word for a POSIX shell: single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Appends a slash so rsync copies the directory's contents, not the directory. */
export function withSlash(dir: string): string {
  return dir.endsWith('/') ? dir : dir + '/';
}
