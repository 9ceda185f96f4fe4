// Problem codes: what a per-item problem (a failure line, a failure-ledger row, a status
// problem) says happened to one entry, when no GeorepError code names it. Invariant: every
// code an item problem carries is a ProblemCode, an ErrorCode or an errno name ('ENOSPC').

import type { ErrorCode } from './errors.js';

export const PROBLEM_CODES = [
  'VANISHED', // the file moved or was removed while it was copied: synced again from where it is
  'RECORDER_BEHIND', // the entry moved before the recorder caught up: synced again later
  'DELETE_HELD', // it would replace an entry whose delete the mass-delete brake holds
  'MASS_DELETE', // deletes the mass-delete brake refused to send
  'SKIPPED', // the crawl passed the entry over (unreadable, special file, …)
  'RESYNC', // an operator asked for the entry to be synced again (georep failures --resync, repair)
  'CHANGED_SINCE_VERIFY', // repair: the master has changed there since the verify line was written
  'REPLACE_PENDING', // a directory of another type is removed from the slave first; the entry follows
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** The codes by name, so that a use site spells `PROBLEM.VANISHED` and a typo fails to compile. */
export const PROBLEM: { readonly [C in ProblemCode]: C } = {
  VANISHED: 'VANISHED',
  RECORDER_BEHIND: 'RECORDER_BEHIND',
  DELETE_HELD: 'DELETE_HELD',
  MASS_DELETE: 'MASS_DELETE',
  SKIPPED: 'SKIPPED',
  RESYNC: 'RESYNC',
  CHANGED_SINCE_VERIFY: 'CHANGED_SINCE_VERIFY',
  REPLACE_PENDING: 'REPLACE_PENDING',
};

/** An errno name as Node reports it ('ENOENT', 'ENOSPC', …). */
export type ErrnoName = `E${string}`;

/** Any code an item problem may carry (the wire and the ledger keep it as a plain string). */
export type ItemCode = ProblemCode | ErrorCode | ErrnoName;
