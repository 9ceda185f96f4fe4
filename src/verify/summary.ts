// What verify prints for a person (without --json): one screen, the counts by verdict and the
// first divergences, then what to do about them. --json streams the lines instead.

import { displayText, humanBytes, humanDuration } from '../cli/format.js';
import type { DoneLine, EntryLine } from './lines.js';
import type { RepairReport } from './repair.js';
import { VERDICTS } from './verdict.js';

/** Divergences listed by name in the summary. */
export const SHOWN_DIVERGENCES = 20;

/** Keeps the first divergences of a run for the summary (memory: SHOWN_DIVERGENCES lines). */
export class FirstDivergences {
  readonly lines: EntryLine[] = [];

  add(line: EntryLine): void {
    if (line.verdict !== 'ok' && this.lines.length < SHOWN_DIVERGENCES) this.lines.push(line);
  }
}

export function formatVerifySummary(
  done: DoneLine,
  first: readonly EntryLine[],
  where: { readonly master: string; readonly slave: string; readonly repairHint: string },
): string {
  const t = done.totals;
  const what = done.checksum ? 'metadata and content (SHA-256)' : 'metadata (no --checksum: content not read)';
  const out: string[] = [
    `Verified ${where.slave} against ${where.master} in ${humanDuration(done.seconds * 1000)}${done.resumed ? ' (resumed)' : ''}: ${what}.`,
    `${t.examined} entries examined in ${t.dirs} directories` +
      (done.sample < 1 ? `, a ${done.sample} sample (${t.unsampled} not examined)` : '') +
      (t.skipped > 0 ? `, ${t.skipped} not replicated by design (sockets, devices, .georep)` : '') +
      (done.checksum ? `, ${humanBytes(t.hashedBytes)} hashed on each side` : '') +
      '.',
  ];
  const counts = VERDICTS.filter((v) => v !== 'ok' && t[v] > 0).map((v) => `${v} ${t[v]}`);
  if (done.divergent === 0) {
    out.push('No divergence: the slave matches the master.');
    return out.join('\n') + '\n';
  }
  out.push(`${done.divergent} divergent: ${counts.join(', ')} (ok ${t.ok}).`);
  out.push(done.divergent > first.length ? `The first ${first.length}:` : 'They are:');
  for (const l of first) {
    const detail =
      l.master === undefined ? '' : `  (master ${displayText(l.master)}, slave ${displayText(l.slave ?? '')})`;
    out.push(`  ${l.verdict.padEnd(7)} ${displayText(l.path)}${detail}`);
  }
  if (where.repairHint !== '') out.push(where.repairHint);
  return out.join('\n') + '\n';
}

/** What repair did, for a person; `delivery` says who syncs the queued entries. */
export function formatRepairSummary(r: RepairReport, delivery: 'synced' | 'busy' | 'queued'): string {
  const out: string[] = [];
  if (r.divergent === 0) return 'Repair: nothing divergent to repair.\n';
  out.push(
    `Repair: ${r.divergent} divergent entries: ${r.queued} queued to sync again` +
      (r.alreadyQueued > 0 ? ` (${r.alreadyQueued} were in the failure ledger already)` : '') +
      `, ${r.dropped} slave entries removed` +
      (r.kept > 0 ? `, ${r.kept} entries only the slave has kept (ignore-deletes)` : '') +
      (r.problemCount === 0 ? '.' : `; ${r.problemCount} problems:`),
  );
  for (const p of r.problems) out.push(`  ${displayText(p.path)}: ${p.code}: ${displayText(p.message)}`);
  if (r.problemCount > r.problems.length) out.push(`  … and ${r.problemCount - r.problems.length} more (see the log)`);
  if (delivery === 'busy')
    out.push(
      'Another georep process holds the session (its daemon): it syncs them. georep failures lists what is left.',
    );
  if (delivery === 'queued')
    out.push('Queued only: georep start, or georep sync --oneshot, syncs them. georep failures lists them.');
  return out.join('\n') + '\n';
}
