// NameIndex: the session index's names role. Gfid ↔ names (a tree of directories by parent gfid
// and name bytes) and each object's identity: type, inode, and a symlink's fixed target.
// Invariants: every object has at least one name, a directory exactly one; the root is implicit.

import type { EntryName, EntryType, Gfid, SyncedAttrs } from '../changelog/index.js';

export interface IndexedEntry {
  readonly gfid: Gfid;
  readonly pargfid: Gfid;
  readonly name: Buffer;
  readonly type: EntryType;
  readonly ino: bigint;
  /** null until the entry's ops were confirmed on the slave. */
  readonly synced: SyncedAttrs | null;
  /** What the recorder last saw (null until it looked). */
  readonly recorded: SyncedAttrs | null;
  /** A symlink's target, fixed for its gfid (null: not a symlink, or not read yet). */
  readonly target: Buffer | null;
  /**
   * This name is confirmed on the slave as a name of the gfid. Kept for hard-linked files,
   * whose object confirmation says nothing of each of their names.
   */
  readonly nameSynced: boolean;
}

export interface NameIndex {
  lookup(pargfid: Gfid, name: Buffer): IndexedEntry | undefined;
  children(pargfid: Gfid): readonly IndexedEntry[];
  /** Name and gfid of each child of a directory, sorted by name bytes (verify needs only these). */
  childGfids(pargfid: Gfid): readonly (readonly [Buffer, Gfid])[];
  /** The subdirectories of a directory, by name (a walk needs only these). */
  subdirs(pargfid: Gfid): readonly { readonly name: Buffer; readonly gfid: Gfid }[];
  /** Every name of a gfid (more than one for hard links). */
  namesOf(gfid: Gfid): readonly EntryName[];
  /**
   * The gfids on this inode (for hard links and renames). More than one when a file was
   * deleted and its inode handed out again before the recorder recorded the delete: callers
   * tell them apart by type and birth time.
   */
  gfidsOfIno(ino: bigint): readonly Gfid[];
  /** Path of a gfid relative to the root, as bytes ('' for the root); undefined if unknown. */
  pathOf(gfid: Gfid): Buffer | undefined;

  /** Mint a new gfid for a new object and record its first name. */
  create(type: EntryType, ino: bigint, at: EntryName): Gfid;
  /** Record another name of an existing gfid (a hard link). */
  link(gfid: Gfid, at: EntryName): void;
  /** Forget one name; forgets the object too when it was its last name. */
  unlink(at: EntryName): void;
  /**
   * Forget a directory's whole subtree (names and objects) and the directory itself. Returns the
   * objects of the subtree that live on: files hard-linked from outside it, under those names.
   */
  removeTree(gfid: Gfid): readonly Gfid[];
  rename(from: EntryName, to: EntryName): void;
  count(): number;
  /**
   * Type and inode of a gfid's object, if known, and the birth time the recorder saw on it
   * (null: not seen yet, or the file system reports none).
   */
  objectOf(gfid: Gfid): { readonly type: EntryType; readonly ino: bigint; readonly btimeNs: bigint | null } | undefined;
  /**
   * The target a symlink gfid stands for, set once when the gfid is minted (or first seen by
   * this version). A symlink has no content but its target: another target at the same name
   * is another object (a new gfid), never an attribute change, whatever inode it got.
   */
  targetOf(gfid: Gfid): Buffer | undefined;
  setTarget(gfid: Gfid, target: Buffer): void;
  /**
   * Drops cached directory paths. A process that only reads names another process writes (the
   * worker reading the recorder's index) calls it before each batch.
   */
  forgetCachedPaths(): void;
}
