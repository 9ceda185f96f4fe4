// Name check: what a filesystem accepts as one directory entry name. Shared by the record
// parser (a changelog naming '..' must not reach the slave) and the gfid index.

/** Why `name` cannot be a directory entry, or undefined when it can. */
export function nameProblem(name: Buffer): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length <= 2 && name.every((b) => b === 0x2e)) return `"${name.toString('latin1')}" is not an entry name`;
  if (name.includes(0x2f)) return "the name contains '/'";
  if (name.includes(0x00)) return 'the name contains NUL';
  return undefined;
}
