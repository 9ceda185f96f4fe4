// Entry types: what lstat says an entry is, one union for master, slave and wire. Sockets are
// seen (and listed by verify) but never replicated: ObjectType is what a slave can hold.

export const ENTRY_TYPES = ['file', 'dir', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/** The entry types a slave makes and records (every one but 'socket'). */
export const OBJECT_TYPES = [
  'file',
  'dir',
  'symlink',
  'fifo',
  'chardev',
  'blockdev',
] as const satisfies readonly Exclude<EntryType, 'socket'>[];
export type ObjectType = (typeof OBJECT_TYPES)[number];

const S_IFMT = 0o170000;
const BY_MODE_BITS: ReadonlyMap<number, EntryType> = new Map([
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'symlink'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o020000, 'chardev'],
  [0o060000, 'blockdev'],
]);

/** The type an st_mode's S_IFMT bits name; undefined for bits no Linux file type has. */
export const typeOfMode = (mode: number): EntryType | undefined => BY_MODE_BITS.get(mode & S_IFMT);
