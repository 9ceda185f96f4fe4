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
