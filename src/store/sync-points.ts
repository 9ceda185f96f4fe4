// Sync points: how far the slave has come, as the session keeps it (DESIGN "Time: xtime, stime,
// checkpoints"). Invariant: the two marks below are read and written only through this module,
// each under one name in code, whatever its on-disk meta key says.
//
// The session's time concepts, one name each, and where each is defined:
// - xtime: when an entry last changed on the master, kept by the recorder per entry (the root's
//   as the session meta key `recorder.rootXtimeMs`, RECORDER_KEYS.rootXtime in recorder.ts).
// - recorded-up-to (`recordedUpToMs`): how far the recorder's published changelogs reach, unix
//   ms; every change made before it is in a changelog (RECORDER_KEYS.recordedUpTo in
//   recorder.ts; the consumer's Scan carries it). The time stime moves to after a turn.
// - history start (`historyStartMs`): from when the changelogs describe every change
//   (RECORDER_KEYS.historyStart): a stime older than it needs a hybrid crawl first.
// - stime (`stimeMs`): here. The slave keeps its own copy (slave-meta.ts `stimeMs`, set over
//   the wire by setStime, reported in hello); the session's is the one the worker reads.
// - entry-ops position (`entryOpsApplied`): here. A changelog file name, not a time.
// - checkpoint (`targetMs`, `completedMs`): a target compared with stime (checkpoint.ts).

import { parseChangelogName } from '../changelog/index.js';
import type { ChangelogName } from '../changelog/index.js';
import type { MetaKey, SessionMeta } from './session-meta.js';

/**
 * stime, the session meta key: unix ms up to which the slave holds every change of the master,
 * but for failure-ledger items and held deletes (so stime plus an empty ledger means "in
 * sync"). It moves only after a whole turn is confirmed on the slave or accounted for in the
 * ledger (MasterBase.markStime, which sets the slave's copy first). In code a value of it is
 * always `stimeMs`: a number of unix ms, as every other `…Ms` time.
 */
export const STIME_KEY = 'stime' satisfies MetaKey;

/**
 * The entry-ops position, the session meta key: the name of the last changelog file whose entry
 * ops were applied on the slave. A turn retried after a lost batch or a crash skips the entry
 * ops of files up to it (data and metadata are sent again from what the entries are then), so
 * an entry op is never applied twice from one changelog. The on-disk key keeps its old name,
 * `entry_stime`, although it holds a file name and no time: session databases written before
 * the rename hold it under that key.
 */
export const ENTRY_OPS_APPLIED_KEY = 'entry_stime' satisfies MetaKey;

/** The session's stime (unix ms); undefined before the first completed turn. */
export function readStime(meta: Pick<SessionMeta, 'getMeta'>): number | undefined {
  const v = meta.getMeta(STIME_KEY);
  return v === undefined || v === '' ? undefined : Number(v);
}

/** Records the session's copy of stime (after the slave's: see MasterBase.markStime). */
export function writeStime(meta: Pick<SessionMeta, 'setMeta'>, stimeMs: number): void {
  meta.setMeta(STIME_KEY, String(stimeMs));
}

/** The last changelog whose entry ops were applied; undefined when none is recorded. */
export function readEntryOpsApplied(meta: Pick<SessionMeta, 'getMeta'>): ChangelogName | undefined {
  return parseChangelogName(meta.getMeta(ENTRY_OPS_APPLIED_KEY) ?? '');
}

/** Records `fileName` (a changelog's base name) as the last whose entry ops were applied. */
export function writeEntryOpsApplied(meta: Pick<SessionMeta, 'setMeta'>, fileName: string): void {
  meta.setMeta(ENTRY_OPS_APPLIED_KEY, fileName);
}

/** Forgets the entry-ops position (the changelogs it points into were dropped). */
export function forgetEntryOpsApplied(meta: Pick<SessionMeta, 'deleteMeta'>): void {
  meta.deleteMeta(ENTRY_OPS_APPLIED_KEY);
}
