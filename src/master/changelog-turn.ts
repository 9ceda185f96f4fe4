// changelogTurn: one turn of the live crawls (History and Changelog). Invariants:
// - entry ops of a changelog are applied once: entry_stime names the last file whose entry
//   ops were sent, and only the batch in flight at a crash is replayed (its ops are idempotent);
// - whatever a batch could not bring to the slave (a failed op, a file gone mid-copy, a gfid
//   whose new place the recorder had not recorded yet) joins the retry set, which is persisted
//   before the changelogs are marked done and is synced again each turn from the entries'
//   current state (not by replaying old records, which could undo later ones);
// - stime moves to the recorder's coverage only when the retry set is empty: it never claims
//   what is not on the slave.

import fs from 'node:fs';
import {
  ChangelogWriter,
  absPath,
  asGfid,
  changelogName,
  compareChangelogNames,
  entryTypeOf,
  joinRel,
  parseChangelogName,
} from '../changelog/index.js';
import type { Change, ChangelogFile, ChangelogName, GfidIndex, Gfid } from '../changelog/index.js';
import { GeorepError, hasErrno } from '../errors.js';
import type { MasterBase } from './master-base.js';

export const ENTRY_STIME_KEY = 'entry_stime';
export const RETRY_KEY = 'retry';

export async function changelogTurn(m: MasterBase): Promise<boolean> {
  const { deps } = m;
  const consumer = deps.consumer;
  if (consumer === undefined) throw new GeorepError('USAGE', 'a changelog crawl needs the recorder (georep start)');
  const { index } = deps;
  const retry = loadRetry(index);
  const { files, coveredMs } = consumer.scan();
  const stime = Number(index.getMeta('stime') ?? '0');
  if (files.length === 0 && retry.length === 0 && coveredMs <= stime) {
    deps.onTurn?.(stime, true);
    return true; // nothing new, not even time
  }
  m.turnProblems.clear();
  const entryStime = parseChangelogName(index.getMeta(ENTRY_STIME_KEY) ?? '');
  for (const batch of batches(files, deps.crawl.changelogBatchSize)) {
    await m.processChangelogs(
      batch.map((f) => ({
        path: f.path,
        entryOps: entryStime === undefined || compareChangelogNames(f, entryStime) > 0,
      })),
      'changelog',
    );
    const last = batch.at(-1);
    if (last !== undefined) index.setMeta(ENTRY_STIME_KEY, nameOf(last));
  }
  if (retry.length > 0) await resync(m, retry);
  const landed = await m.settleTurn();
  const problems = [...m.turnProblems].filter((g) => index.objectOf(g) !== undefined);
  index.setMeta(RETRY_KEY, JSON.stringify(problems));
  for (const f of files) consumer.done(f);
  m.stats.retryPending = problems.length;
  m.saveStats();
  if (problems.length > 0 || !landed) {
    // Said when the set changes size, not every turn while a stuck entry keeps failing.
    const level = problems.length === retry.length ? 'debug' : 'info';
    deps.log.log(level, 'some entries did not reach the slave yet; they are synced again next turn', {
      retry: problems.length,
    });
    deps.onTurn?.(stime, false);
    return false;
  }
  const next = Math.max(coveredMs, stime);
  await m.markStime(next);
  deps.onTurn?.(next, true);
  return true;
}

/**
 * Syncs gfids again from what they are now: each name the recorder holds for it is created
 * (or found present) on the slave, and its data or attributes sent. Parents go first.
 */
async function resync(m: MasterBase, gfids: readonly Gfid[]): Promise<void> {
  const { deps } = m;
  deps.index.forgetCachedPaths();
  const records: Change[] = [];
  const byDepth = gfids
    .map((g) => ({ g, rel: deps.index.pathOf(g) }))
    .filter((x): x is { g: Gfid; rel: Buffer } => x.rel !== undefined)
    .sort((a, b) => depth(a.rel) - depth(b.rel));
  for (const { g } of byDepth) {
    const rs = currentRecords(deps.index, deps.root, g);
    if (rs === undefined)
      m.turnProblems.add(g); // still not where the recorder says: next turn
    else records.push(...rs);
  }
  if (records.length === 0) return;
  const writer = ChangelogWriter.open(deps.xsyncDir, 'XSYNC-CHANGELOG', Math.floor(deps.clock.nowMs() / 1000));
  for (const r of records) writer.append(r);
  const file = writer.close();
  try {
    deps.log.debug('syncing entries again from their current state', { entries: byDepth.length });
    await m.processChangelogs([{ path: file, entryOps: true }], 'changelog');
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The records that create `gfid` at each of its names as it is now; undefined when its path is gone. */
function currentRecords(index: GfidIndex, root: Buffer, gfid: Gfid): Change[] | undefined {
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
  const first = out[0];
  out.push(first?.kind === 'E' && first.fop === 'CREATE' ? { kind: 'D', gfid } : { kind: 'M', gfid, fop: 'SETATTR' });
  return out;
}

function depth(rel: Buffer): number {
  let n = 0;
  for (const b of rel) if (b === 0x2f) n++;
  return n;
}

function loadRetry(index: GfidIndex): Gfid[] {
  const raw = index.getMeta(RETRY_KEY);
  if (raw === undefined || raw === '') return [];
  const v: unknown = JSON.parse(raw);
  if (!Array.isArray(v)) return [];
  return v.flatMap((g) => (typeof g === 'string' && asGfid(g) !== undefined ? [g as Gfid] : []));
}

function nameOf(f: ChangelogName): string {
  return changelogName(f.prefix, f.ts, f.seq);
}

/** Consecutive files grouped up to `maxBytes` each (a bigger file is a batch of its own). */
function batches(files: readonly ChangelogFile[], maxBytes: number): ChangelogFile[][] {
  const out: ChangelogFile[][] = [];
  let cur: ChangelogFile[] = [];
  let bytes = 0;
  for (const f of files) {
    const size = sizeOf(f.path);
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
