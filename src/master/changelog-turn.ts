// changelogTurn: one turn of the live crawls (History and Changelog). Invariants:
// - entry ops of a changelog are applied once: the entry-ops position (store/sync-points.ts)
//   names the last file whose entry ops were sent, and only the batch in flight at a crash is
//   replayed (its ops are idempotent);
// - whatever a batch could not bring to the slave (a failed op, a file gone mid-copy, a gfid
//   whose new place the recorder had not recorded yet) goes into the failure ledger (SQLite,
//   with its cause, attempts and times) before the changelogs are marked done. Each item is
//   retried on its own, with backoff, from the entry's current state (never by replaying old
//   records, which could undo later ones), and leaves the ledger when a retry lands;
// - stime moves to the recorder's recorded-up-to time once every problem of the turn is in the
//   ledger: the ledger, not stime, keeps them. Checkpoints complete only with the ledger empty;
// - a batch whose outcome is unknown (the agent died, the worker stopped mid-batch) is in no
//   ledger: the turn's changelogs stay, and stime with them, until a turn accounts for them.
// The turn's batches are its BatchPipeline's; this file decides what the turn reads and what
// its TurnResult means for the ledger, the changelogs and stime.

import fs from 'node:fs';
import {
  ROOT_GFID,
  absPath,
  changelogName,
  compareChangelogNames,
  entryTypeOf,
  escapeName,
  joinRel,
} from '../changelog/index.js';
import type { Change, ChangelogFile, ChangelogName, Gfid } from '../changelog/index.js';
import { readEntryOpsApplied, readStime, writeEntryOpsApplied } from '../store/index.js';
import type { Confirmations, FailureLedgerStore, NameIndex } from '../store/index.js';
import { GeorepError, hasErrno } from '../errors.js';
import type { BatchPipeline, TurnResult } from './batch-pipeline.js';
import { processRecords } from './records-batch.js';
import { brakeVerdict } from './brake-turn.js';
import { fileEarly, recordProblems } from './failure-ledger.js';
import type { MasterBase } from './master-base.js';
import type { MasterDeps } from './master-deps.js';
import { PROBLEM } from '../problem-codes.js';
import { LIMITS } from '../slave/index.js';

export async function changelogTurn(m: MasterBase): Promise<TurnResult> {
  const { deps } = m;
  const consumer = deps.consumer;
  if (consumer === undefined)
    throw new GeorepError('INTERNAL', 'a changelog crawl was built without the recorder (a georep bug)');
  const { index, clock } = deps;
  const { files, recordedUpToMs } = consumer.scan();
  const stimeMs = readStime(index) ?? 0;
  const entryOpsApplied = readEntryOpsApplied(index);
  const applies = (f: ChangelogName): boolean =>
    entryOpsApplied === undefined || compareChangelogNames(f, entryOpsApplied) > 0;
  // No seed step: a live turn sends every change by gfid.
  const turn = m.newTurn();
  // The brake's verdict comes before any batch of the turn is sent (brake-turn.ts); a release's
  // batches go first, unheld.
  const verdict =
    deps.brake === undefined || !m.propagatesDeletes()
      ? { hold: undefined, released: 0 }
      : await brakeVerdict(
          m,
          turn,
          deps.brake,
          files.filter(applies).map((f) => f.path),
          stimeMs,
        );
  turn.holdDeletes(verdict.hold);
  // While deletes are held, what they blocked would only be blocked again.
  const due = index
    .ledgerDue(clock.nowMs())
    .filter((i) => verdict.hold === undefined || i.code !== PROBLEM.DELETE_HELD);
  if (files.length === 0 && due.length === 0 && recordedUpToMs <= stimeMs && verdict.released === 0) {
    deps.onTurn?.(stimeMs);
    return turn.settle(); // nothing new, not even time
  }
  const sizes = new Map(files.map((f) => [f.path, sizeOf(f.path)]));
  const filedEarly = new Set<Gfid>();
  for (const batch of batches(files, sizes, deps.crawl.changelogBatchSize)) {
    await turn.process(
      batch.map((f) => ({ path: f.path, entryOps: applies(f) })),
      'changelog',
    );
    const last = batch.at(-1);
    // Only forward: a batch of changelogs read again (their entry ops applied before) wrote it
    // back to them, and a worker killed before it passed the old position again applied their
    // entry ops a second time, after later ones (live kill probe, 10 of 14 rounds).
    if (last !== undefined)
      index.transaction(() => {
        fileEarly(deps, turn.problemsSoFar(), filedEarly, stimeMs);
        if (applies(last)) writeEntryOpsApplied(index, nameOf(last));
      });
  }
  if (due.length > 0)
    await resync(
      deps,
      turn,
      due.map((i) => i.gfid),
      // The slave said it lacks a gfid these items need: their directories are made again too.
      new Set(due.filter((i) => i.code === 'GFID_UNKNOWN').map((i) => i.gfid)),
    );
  const result = await turn.settle();
  // A lost batch may hold a retried item too: nothing is resolved on its word.
  const lost = result.lostBatches > 0;
  // Items of entries the master no longer has: resolved once the slave dropped every name it
  // has of them (never while deletes are held; with ignore-deletes, kept there by design).
  const gone = lost ? [] : goneFromMaster(index);
  const goneSet = new Set(gone);
  const dropped =
    gone.length === 0 || verdict.hold !== undefined ? [] : m.propagatesDeletes() ? await dropOnSlave(deps, gone) : gone;
  const settled = lost
    ? []
    : [
        ...due.filter((i) => !goneSet.has(i.gfid)).map((i) => i.gfid),
        ...contentSince(index, result.delivered),
        ...dropped,
      ];
  recordProblems(deps, result.problems, settled, stimeMs);
  // After a lost batch the changelogs stay and are read again next turn: entry ops once
  // (the entry-ops position), data and metadata from what the entries are then. stime stays.
  if (!lost) {
    for (const f of files) {
      m.changelogsDone(sizes.get(f.path) ?? 0);
      consumer.done(f);
    }
  }
  m.countLedger();
  m.saveStats();
  if (lost) {
    deps.onTurn?.(stimeMs);
    return result;
  }
  const next = Math.max(recordedUpToMs, stimeMs);
  await m.markStime(next);
  deps.onTurn?.(next);
  return result;
}

/**
 * Syncs gfids again from what they are now, as batches of `turn`: each name the recorder holds
 * for it is created (or found present) on the slave, and its data or attributes sent. Parents
 * go first. Also run by a one-shot sync for what the ledger holds (oneshot-ledger.ts).
 */
export async function resync(
  deps: Pick<MasterDeps, 'index' | 'root' | 'log' | 'crawl' | 'xsyncDir' | 'clock'>,
  turn: BatchPipeline,
  gfids: readonly Gfid[],
  missingOnSlave: ReadonlySet<Gfid> = new Set(),
): Promise<void> {
  deps.index.forgetCachedPaths();
  const byDepth = withParents(deps.index, gfids, missingOnSlave)
    .map((g) => ({ g, rel: deps.index.pathOf(g) }))
    .filter((x): x is { g: Gfid; rel: Buffer } => x.rel !== undefined)
    .sort((a, b) => depth(a.rel) - depth(b.rel));
  if (byDepth.length === 0) return;
  deps.log.debug('syncing entries again from their current state', { entries: byDepth.length });
  // In batches of a crawl's size, parents first: a resync of a whole tree (georep resync of the
  // root, 50,000 entries) as one batch ran the worker out of its heap at every start.
  const per = Math.max(1, deps.crawl.xsyncChangelogEntries);
  for (let at = 0; at < byDepth.length; at += per) {
    const records: Change[] = [];
    for (const { g } of byDepth.slice(at, at + per)) {
      const rs = currentRecords(deps.index, deps.root, g);
      if (rs !== undefined) records.push(...rs);
      else {
        // Still not where the recorder says: the next retry will know.
        turn.retryLater({
          gfid: g,
          path: g,
          code: PROBLEM.RECORDER_BEHIND,
          message: 'the entry moved before it could be synced; it is synced again from where it is now',
        });
      }
    }
    await processRecords(deps, turn, records, 'changelog');
  }
}

/**
 * `gfids` and the directories above them the slave may lack: those it has not confirmed, and,
 * above an entry in `missingOnSlave` (the slave said it lacks a gfid it needs), all of them,
 * since a confirmed directory can be gone from the slave since. An entry whose parent the
 * slave does not know fails again at each retry ("parent directory … is not known on the
 * slave") unless the parent is made first, and the parent's own ledger item may not be due in
 * the same turn (seeded random live test, seed 83: a moved directory the slave lost, its
 * children retried every few seconds for good, until a restart's crawl made it). A directory
 * the slave has costs a no-op MKDIR and a setattr.
 */
function withParents(
  index: Pick<NameIndex, 'namesOf'> & Pick<Confirmations, 'syncedOf'> & Pick<FailureLedgerStore, 'ledgerGet'>,
  gfids: readonly Gfid[],
  missingOnSlave: ReadonlySet<Gfid>,
): Gfid[] {
  const out = new Set<Gfid>(gfids);
  for (const g of gfids) {
    const all = missingOnSlave.has(g);
    let dir = index.namesOf(g)[0]?.pargfid;
    for (let depth = 0; dir !== undefined && dir !== ROOT_GFID && depth < MAX_PARENT_WALK; depth++) {
      // A confirmed directory with an item of its own in the ledger may be missing too.
      if (!all && (out.has(dir) || (index.syncedOf(dir) !== null && index.ledgerGet(dir) === undefined))) break;
      out.add(dir);
      dir = index.namesOf(dir)[0]?.pargfid;
    }
  }
  return [...out];
}

/** Deepest directory chain walked above one retried entry (a guard against a corrupt index's cycles). */
const MAX_PARENT_WALK = 256;

/** The records that create `gfid` at each of its names as it is now; undefined when its path is gone. */
function currentRecords(index: Pick<NameIndex, 'namesOf' | 'pathOf'>, root: Buffer, gfid: Gfid): Change[] | undefined {
  // The root has no name: only its attributes can be sent again (georep repair queues it).
  if (gfid === ROOT_GFID) return [{ kind: 'M', gfid, fop: 'SETATTR' }];
  const out: Change[] = [];
  for (const entry of index.namesOf(gfid)) {
    const dir = index.pathOf(entry.pargfid);
    if (dir === undefined) return undefined;
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(absPath(root, joinRel(dir, entry.name)), { bigint: true });
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
      throw e;
    }
    const owned = { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), entry };
    switch (entryTypeOf(st)) {
      case 'file':
        out.push({ kind: 'E', gfid, fop: 'CREATE', ...owned });
        break;
      case 'dir':
        out.push({ kind: 'E', gfid, fop: 'MKDIR', ...owned });
        break;
      case 'symlink':
        out.push({ kind: 'E', gfid, fop: 'SYMLINK', entry });
        break;
      case 'socket':
        return [];
      default:
        out.push({ kind: 'E', gfid, fop: 'MKNOD', ...owned });
    }
  }
  if (out.length === 0) return undefined;
  const [head, ...others] = index.namesOf(gfid);
  // The slave drops any other name it still has for the gfid (RENAME onto itself, see the
  // agent's settleSoleName) before the CREATEs find it present or make it (linking a known
  // gfid). A hard-linked file's other names go along, so the slave keeps those: without them, a
  // name whose RENAME had failed stayed on the slave beside the names the resync made (seeded
  // random live test, seed 947: a checkpoint completed with an extra name, nlink 3 for 2).
  if (head !== undefined) {
    const alsoNamed = others.length > 0 ? { alsoNamed: others } : {};
    out.unshift({ kind: 'E', gfid, fop: 'RENAME', entry: head, to: head, ...alsoNamed });
  }
  const first = out.find((c) => c.kind === 'E' && c.fop !== 'RENAME');
  out.push(first?.kind === 'E' && first.fop === 'CREATE' ? { kind: 'D', gfid } : { kind: 'M', gfid, fop: 'SETATTR' });
  return out;
}

function depth(rel: Buffer): number {
  let n = 0;
  for (const b of rel) if (b === 0x2f) n++;
  return n;
}

function nameOf(f: ChangelogName): string {
  return changelogName(f.prefix, f.ts, f.seq);
}

/** Consecutive files grouped up to `maxBytes` each (a bigger file is a batch of its own). */
function batches(
  files: readonly ChangelogFile[],
  sizes: ReadonlyMap<string, number>,
  maxBytes: number,
): ChangelogFile[][] {
  const out: ChangelogFile[][] = [];
  let cur: ChangelogFile[] = [];
  let bytes = 0;
  for (const f of files) {
    const size = sizes.get(f.path) ?? 0;
    if (cur.length > 0 && bytes + size > maxBytes) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0; // gone: reading it will say so
  }
}

/** Problems about a file's content only: a later delivery of the whole file answers them. */
const CONTENT_CODES: ReadonlySet<string> = new Set(['CHANGED_DURING_SYNC', PROBLEM.VANISHED]);

/**
 * Ledger items about a file's content that this turn delivered anyway (a later change of the
 * file sent it whole): resolved now, not at their retry. A file written for a while filed
 * CHANGED_DURING_SYNC again at each turn, its backoff grew to retry-backoff-max, and a checkpoint
 * completed up to five minutes after the slave held the file (probe: 301 s).
 */
function contentSince(index: FailureLedgerStore, delivered: ReadonlySet<Gfid>): Gfid[] {
  if (delivered.size === 0) return [];
  const items =
    index.ledgerCount() <= delivered.size
      ? index.ledgerAll()
      : [...delivered].map((g) => index.ledgerGet(g)).filter((i) => i !== undefined);
  return items.filter((i) => CONTENT_CODES.has(i.code) && delivered.has(i.gfid)).map((i) => i.gfid);
}

/**
 * Has the slave drop every name it holds of each gfid (UNLINK marked gone: the slave ignores the
 * name given and removes the gfid wherever it has it). Resolving such an item without this left
 * the slave's copy where a failed RENAME had kept it, for good: a checkpoint completed over it,
 * or a directory kept at a name the master reuses failed everything below it for ever (live
 * kill probe). Returns the gfids dropped; one whose drop failed stays in the ledger.
 */
async function dropOnSlave(deps: MasterDeps, gfids: readonly Gfid[]): Promise<Gfid[]> {
  const dropped: Gfid[] = [];
  const name = escapeName(Buffer.from('gone'));
  for (let start = 0; start < gfids.length; start += LIMITS.opsPerBatch) {
    const chunk = gfids.slice(start, start + LIMITS.opsPerBatch);
    const ops = chunk.map((gfid) => ({ op: 'UNLINK' as const, gfid, entry: { pargfid: ROOT_GFID, name }, gone: true }));
    const { failures } = await deps.slave.call('entryOps', { ops }, deps.signal);
    const failed = new Set(failures.map((f) => f.index));
    chunk.forEach((gfid, i) => {
      if (!failed.has(i)) dropped.push(gfid);
    });
  }
  if (dropped.length > 0)
    deps.log.info('dropped from the slave entries the master no longer has', { entries: dropped.length });
  return dropped;
}

/** Past this many ledger items, goneFromMaster leaves them to their retries (a query per item per turn). */
const GONE_SCAN_MAX = 1000;

/**
 * Ledger items whose gfid the master no longer has (the recorder dropped it: removed there):
 * nothing is left to sync for them, their removal reaches the slave as an entry op. Resolved
 * now, not at their retry: twelve RECORDER_BEHIND items of removed entries, retried with a
 * growing backoff, held a checkpoint for minutes over an equal slave (live kill probe).
 */
function goneFromMaster(index: FailureLedgerStore & Pick<NameIndex, 'objectOf'>): Gfid[] {
  const n = index.ledgerCount();
  if (n === 0 || n > GONE_SCAN_MAX) return [];
  return index
    .ledgerAll()
    .filter((i) => index.objectOf(i.gfid) === undefined)
    .map((i) => i.gfid);
}
