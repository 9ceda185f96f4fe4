// DigestStore: directory digests (master/dir-digest.ts), which let a crawl skip a directory
// whose children are all confirmed as it lists them. Invariant: a stored digest vouches for the
// index too: any later change to a child's name or confirmed attrs removes it (triggers).

import type { EntryType, Gfid, SyncedAttrs } from '../changelog/index.js';

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

export interface DigestStore {
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
}
