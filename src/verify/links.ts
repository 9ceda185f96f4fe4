// Hard-link groups across directories, in memory bounded by the groups still open: a master
// inode is tracked from its first name until all of its nlink names were seen (then dropped),
// with the slave inode its first name has; a later name on another slave inode (a link broken
// on the slave), or a slave inode already standing for another master file (two files joined
// on the slave), is a `links` divergence. Names outside the tree keep a group open: a cap
// drops the oldest groups (their later names are then judged by their own inodes only).

import type { Finding } from './verdict.js';

interface Group {
  /** The other side's inode the first name had. */
  readonly peer: bigint;
  /** Names of this inode not seen yet (nlink minus those seen). */
  left: number;
}

/** The open groups, for a resumed verify (inodes as decimal strings). */
export interface LinkGroupsState {
  readonly master: readonly (readonly [string, string, number])[];
  readonly slave: readonly (readonly [string, string, number])[];
}

const MAX_OPEN_GROUPS = 100_000;

export class LinkGroups {
  private readonly byMaster = new Map<bigint, Group>();
  private readonly bySlave = new Map<bigint, Group>();

  constructor(state?: LinkGroupsState) {
    for (const [m, s, left] of state?.master ?? []) this.byMaster.set(BigInt(m), { peer: BigInt(s), left });
    for (const [s, m, left] of state?.slave ?? []) this.bySlave.set(BigInt(s), { peer: BigInt(m), left });
  }

  /** One name present on both sides as the same kind of non-directory. */
  check(m: { ino: bigint; nlink: number }, s: { ino: bigint; nlink: number }): Finding | undefined {
    if (m.nlink <= 1 && s.nlink <= 1) return undefined;
    const mg = this.seen(this.byMaster, m.ino, s.ino, m.nlink);
    const sg = this.seen(this.bySlave, s.ino, m.ino, s.nlink);
    if (mg !== undefined && mg !== s.ino)
      return { verdict: 'links', master: 'a hard link of an earlier name', slave: 'a separate file' };
    if (sg !== undefined && sg !== m.ino)
      return { verdict: 'links', master: 'a separate file', slave: 'a hard link of an earlier name' };
    return undefined;
  }

  /** Open groups right now (memory check in tests). */
  get size(): number {
    return this.byMaster.size + this.bySlave.size;
  }

  state(): LinkGroupsState {
    const dump = (map: Map<bigint, Group>): [string, string, number][] =>
      [...map].map(([ino, g]) => [ino.toString(), g.peer.toString(), g.left]);
    return { master: dump(this.byMaster), slave: dump(this.bySlave) };
  }

  /** Counts a name of `ino`; returns the peer of its first name when one was seen before. */
  private seen(map: Map<bigint, Group>, ino: bigint, peer: bigint, nlink: number): bigint | undefined {
    const g = map.get(ino);
    if (g !== undefined) {
      if (--g.left <= 0) map.delete(ino);
      return g.peer;
    }
    if (nlink > 1) {
      map.set(ino, { peer, left: nlink - 1 });
      if (map.size > MAX_OPEN_GROUPS) map.delete(map.keys().next().value as bigint);
    }
    return undefined;
  }
}
