// DriftJudge: which divergences a scheduled audit counts as drift. An audit runs inside a live
// session, so the slave it compares is always a little behind the master: a change still in
// the pipeline (recorded, not yet confirmed on the slave) diverges without anything being wrong.
// The one rule, decided per divergent entry after the slave's listing came back:
//
//   drift  = the entry diverges, and nothing on its path changed on the master since the point
//            the slave was known to be in sync when the audit began: the ctime of the entry
//            (when the master has it) and of every directory from the root down to it is older
//            than that sync time (stime) by a margin, read again now (lstat, after the slave
//            was read), and none of them is in the failure ledger;
//   known  = it diverges for a reason georep already tracks: its gfid or an ancestor's is in
//            the failure ledger (retried on its own), or, for an entry only the slave has, the
//            mass-delete brake holds its delete or ignore-deletes keeps it;
//   in flight = everything else that diverges (changed since, or never synced at all).
//
// Why this is sound: every change made before stime is confirmed on the slave or filed in the
// ledger (the one rule for stime), and stime only grows, so the slave, read after the audit
// began, holds every entry whose master state (and path) has not changed since before stime.
// ctime, not mtime: a tool can put mtime back, nothing but the clock sets ctime; a rename moves
// the renamed entry's ctime and its parents', and an entry's own directory changes ctime when
// a child comes or goes. The master entry is read again after the slave's listing: a change
// made between the walk's read of the master and the agent's read of the slave (synced in
// between) then shows as a new ctime instead of a false drift. A directory renamed on the master
// moves its own ctime, so everything below it is in flight until the rename is synced.

import { lstatSync } from 'node:fs';
import { ROOT_GFID } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import type { FailureLedgerStore, HeldDeletes, NameIndex } from '../store/index.js';
import { hasErrno } from '../errors.js';
import type { EntryLine } from './lines.js';
import { pathBytes } from './lines.js';

export type DriftKind = 'drift' | 'in-flight' | 'known';

/**
 * How much older than stime a ctime must be. The kernel stamps files from a coarse clock (a
 * tick, up to 10 ms, behind the time of day the recorder vouches with); a second more keeps
 * the rule away from that edge. It delays nothing but the counting of entries changed within
 * it, which the next audit counts.
 */
export const CTIME_MARGIN_MS = 2000;

export interface DriftJudgeDeps {
  readonly masterRoot: Buffer;
  readonly index: Pick<NameIndex, 'lookup'> & Pick<FailureLedgerStore, 'ledgerGet'>;
  readonly held: Pick<HeldDeletes, 'heldAt'>;
  /** ignore-deletes: entries only the slave has are kept on purpose. */
  readonly ignoreDeletes: boolean;
}

/** What the master's path to a directory is now, as far as the rule needs it. */
interface DirChain {
  readonly key: string;
  /** Newest ctime of the root and every directory down to this one; undefined: part of it is gone. */
  readonly ctimeNs: bigint | undefined;
  /** The directory's gfid by the session index (undefined: not indexed). */
  readonly gfid: Gfid | undefined;
  /** Some directory of the path is in the failure ledger. */
  readonly inLedger: boolean;
}

const SLASH = 0x2f;

export class DriftJudge {
  private readonly cutoffNs: bigint | undefined;
  private chain: DirChain | undefined;

  /** `stimeMs`: the session's stime when the audit began; undefined (never synced): nothing is drift. */
  constructor(
    private readonly deps: DriftJudgeDeps,
    stimeMs: number | undefined,
  ) {
    this.cutoffNs =
      stimeMs === undefined || !Number.isFinite(stimeMs)
        ? undefined
        : BigInt(Math.floor(stimeMs - CTIME_MARGIN_MS)) * 1_000_000n;
  }

  /** The kind of one divergent line (an `ok` line is no divergence: in flight is never said of it). */
  judge(line: EntryLine): DriftKind {
    const rel = pathBytes(line.path);
    const cut = rel.lastIndexOf(SLASH);
    const dirRel = line.path === '.' ? undefined : cut < 0 ? Buffer.alloc(0) : rel.subarray(0, cut);
    const name = cut < 0 ? rel : rel.subarray(cut + 1);
    // The root's own line: its chain is itself.
    const dir = dirRel === undefined ? undefined : this.chainOf(dirRel);
    if (dir?.inLedger === true) return 'known';
    if (line.gfid !== null && this.deps.index.ledgerGet(line.gfid) !== undefined) return 'known';
    if (line.verdict === 'extra') {
      if (this.deps.ignoreDeletes) return 'known';
      if (dir?.gfid !== undefined && this.deps.held.heldAt({ pargfid: dir.gfid, name })) return 'known';
    }
    if (this.cutoffNs === undefined) return 'in-flight';
    if (dir !== undefined && (dir.ctimeNs === undefined || dir.ctimeNs >= this.cutoffNs)) return 'in-flight';
    const own = this.ctimeOf(rel);
    // What the master has at the name now must be what the line saw: present, or (extra) absent.
    if (line.verdict === 'extra') return own === undefined ? 'drift' : 'in-flight';
    return own !== undefined && own < this.cutoffNs ? 'drift' : 'in-flight';
  }

  /** The chain of the directory `dirRel` (the walk's lines come a directory at a time: one cached). */
  private chainOf(dirRel: Buffer): DirChain {
    const key = dirRel.toString('latin1');
    if (this.chain?.key === key) return this.chain;
    let newest = this.ctimeOf(Buffer.alloc(0));
    let gfid: Gfid | undefined = ROOT_GFID;
    let inLedger = this.deps.index.ledgerGet(ROOT_GFID) !== undefined;
    for (let start = 0; start < dirRel.length && newest !== undefined;) {
      const end = dirRel.indexOf(SLASH, start);
      const stop = end < 0 ? dirRel.length : end;
      gfid = gfid === undefined ? undefined : this.deps.index.lookup(gfid, dirRel.subarray(start, stop))?.gfid;
      if (gfid !== undefined && this.deps.index.ledgerGet(gfid) !== undefined) inLedger = true;
      const c = this.ctimeOf(dirRel.subarray(0, stop));
      newest = c === undefined ? undefined : c > newest ? c : newest;
      start = stop + 1;
    }
    this.chain = { key, ctimeNs: newest, gfid, inLedger };
    return this.chain;
  }

  /** The master entry's ctime now (ns); undefined when there is none at that path. */
  private ctimeOf(rel: Buffer): bigint | undefined {
    const abs = rel.length === 0 ? this.deps.masterRoot : Buffer.concat([this.deps.masterRoot, Buffer.from('/'), rel]);
    try {
      return lstatSync(abs, { bigint: true }).ctimeNs;
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
      throw e;
    }
  }
}
