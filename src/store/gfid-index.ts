// GfidIndex: the master's narrow state interface (seed 004's "narrow broker"): gfid ↔ names,
// what was last confirmed on the slave per gfid, and small session key/values. One SQLite
// database per session; tests run it on ':memory:'. Implemented by SqliteGfidIndex.

import type { EntryType } from '../changelog/index.js';
import type { EntryName, Gfid, SyncedAttrs } from '../changelog/index.js';
import type { MetaKey } from './session-meta.js';

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

/** A directory's digest (master/dir-digest.ts) and the gfids of its subdirectories, in name order. */
export interface DirDigest {
  readonly digest: Buffer;
  readonly subdirs: readonly Gfid[];
}

/** A child of a directory whose digest is staged: what the crawl listed of it. */
export interface StagedChild {
  readonly gfid: Gfid;
  readonly type: EntryType;
  readonly ino: bigint;
  readonly attrs: SyncedAttrs;
}

/** A gfid whose sync failed, kept until a retry lands it (the failure ledger). */
export interface LedgerItem {
  readonly gfid: Gfid;
  /** Where it was when it last failed (display form). */
  readonly path: string;
  readonly code: string;
  readonly errno: string | null;
  readonly message: string;
  readonly attempts: number;
  /**
   * The earliest the change this item stands for can have been made (unix ms): the sync time
   * when the turn that first failed it began, the changes it read being all newer. A checkpoint
   * waits only for items below its target. Kept at its lowest across retries.
   */
  readonly changeMs: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** Not retried before this time (backoff). */
  readonly nextMs: number;
}

export interface GfidIndex {
  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T;

  lookup(pargfid: Gfid, name: Buffer): IndexedEntry | undefined;
  children(pargfid: Gfid): readonly IndexedEntry[];
  /** Name and gfid of each child of a directory, sorted by name bytes (verify needs only these). */
  childGfids(pargfid: Gfid): readonly (readonly [Buffer, Gfid])[];
  /** The subdirectories of a directory, by name (a walk needs only these). */
  subdirs(pargfid: Gfid): readonly { readonly name: Buffer; readonly gfid: Gfid }[];
  /** Every name of a gfid (more than one for hard links). */
  namesOf(gfid: Gfid): readonly EntryName[];
  /** What the slave confirmed for a gfid (null when unconfirmed or unknown). */
  syncedOf(gfid: Gfid): SyncedAttrs | null;
  /** A gfid already assigned to this inode (for hard links), if any name of it remains. */
  gfidOfIno(ino: bigint): Gfid | undefined;
  /** Path of a gfid relative to the root, as bytes ('' for the root); undefined if unknown. */
  pathOf(gfid: Gfid): Buffer | undefined;

  /** Mint a new gfid for a new object and record its first name. */
  create(type: EntryType, ino: bigint, at: EntryName): Gfid;
  /** Record another name of an existing gfid (a hard link). */
  link(gfid: Gfid, at: EntryName): void;
  /** Forget one name; forgets the object too when it was its last name. */
  unlink(at: EntryName): void;
  /** Forget a directory's whole subtree (names and objects) and the directory itself. */
  removeTree(gfid: Gfid): void;
  rename(from: EntryName, to: EntryName): void;

  markSynced(gfid: Gfid, attrs: SyncedAttrs): void;
  /** The slave has `at` as a name of `gfid` (a hard-linked file's name it confirmed). */
  markNameSynced(gfid: Gfid, at: EntryName): void;
  /** Forget every confirmation (recover mode, or a slave found reset): the next crawl sends all. */
  clearSynced(): void;
  count(): number;
  /**
   * The digest a crawl stored for a directory whose children were all confirmed (see
   * master/dir-digest.ts). Any later change to a child's name or confirmed attrs removes it.
   */
  dirDigest(gfid: Gfid): DirDigest | undefined;
  setDirDigest(gfid: Gfid, d: DirDigest): void;
  /**
   * Holds a digest back, with what was listed of each child, for a directory whose children
   * the turn is still sending: their confirmations would drop a digest stored now.
   */
  stageDirDigest(gfid: Gfid, d: DirDigest, children: readonly StagedChild[]): void;
  /**
   * Stores each staged digest whose directory now holds exactly the children staged, each
   * confirmed with what was listed (what a crawl would find clean), and forgets them all.
   * Returns how many were stored.
   */
  commitStagedDigests(): number;
  /** Forgets the staged digests (a new turn starts). */
  dropStagedDigests(): void;

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
  /** What the recorder last saw of the object (null when it has not looked yet). */
  recordedOf(gfid: Gfid): SyncedAttrs | null;
  /** Records what the recorder saw, and the inode (and its birth time, 0n if none) it saw it on. */
  setRecorded(gfid: Gfid, attrs: SyncedAttrs, ino: bigint, btimeNs: bigint): void;
  /** When the recorder last recorded a change in or below the object (unix ms); undefined if never. */
  xtimeOf(gfid: Gfid): number | undefined;
  setXtime(gfid: Gfid, ms: number): void;
  /**
   * Drops cached directory paths. A process that only reads names another process writes (the
   * worker reading the recorder's index) calls it before each batch.
   */
  forgetCachedPaths(): void;

  /** Appends records to the journal (inside the transaction that made the index changes they describe). */
  journalAppend(lines: readonly string[]): void;
  /** The unpublished records, oldest first, with the seq of the last one (0n when empty). */
  journalRead(): { readonly lines: readonly string[]; readonly lastSeq: bigint };
  /** Forgets records up to and including `seq` (they are in a published CHANGELOG file). */
  journalDrop(seq: bigint): void;

  /**
   * Records a failure of `gfid` (one more attempt, or a first one), to be retried from `nextMs`.
   * `attempts` 0 queues it without counting an attempt (a resync asked by the operator).
   */
  ledgerRecord(
    item: Pick<LedgerItem, 'gfid' | 'path' | 'code' | 'errno' | 'message' | 'changeMs'>,
    nowMs: number,
    nextMs: number,
    attempts?: 0 | 1,
  ): void;
  ledgerGet(gfid: Gfid): LedgerItem | undefined;
  /** Items whose backoff is over at `nowMs`, oldest failure first. */
  ledgerDue(nowMs: number): readonly LedgerItem[];
  ledgerAll(): readonly LedgerItem[];
  ledgerResolve(gfid: Gfid): void;
  ledgerCount(): number;
  /** Items whose change may have been made before `ms` (changeMs < ms): what a checkpoint at `ms` waits for. */
  ledgerCountBefore(ms: number): number;

  getMeta(key: MetaKey): string | undefined;
  deleteMeta(key: MetaKey): void;
  setMeta(key: MetaKey, value: string): void;

  /**
   * Throws STATE_CORRUPT when the file this index was opened from has since been condemned or
   * moved aside by another process (store-quarantine.ts): its answers are no longer the
   * session's. Cheap (a stat); transactions and the recorder's publish call it themselves.
   */
  assertCurrent(): void;

  close(): void;
}
