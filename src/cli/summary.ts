// Oneshot summary: the paragraph `georep sync --oneshot` prints when it ends, then the skipped
// and failed entries. Invariant: every failure is counted, and listed up to a cap with the rest
// counted; the log holds them all.

import type { ItemProblem, OneshotReport } from '../master/index.js';
import { displayText, humanBytes, humanDuration } from './format.js';

/** Most skipped or failed entries listed by name; the remainder is counted. */
export const MAX_LISTED = 50;

export function formatSummary(report: OneshotReport, master: string, slave: string): string {
  const failures = report.failures.length;
  const head =
    `${failures === 0 ? 'Replicated' : 'Partly replicated'} ${displayText(master)} to ${displayText(slave)} ` +
    `in ${humanDuration(report.durationMs)}: ${seededText(report.entriesSeeded)}${report.entryOps} ${plural(report.entryOps, 'entry op')}, ` +
    `${report.metaOps} ${plural(report.metaOps, 'metadata op')}, ` +
    `${report.dataFiles} ${plural(report.dataFiles, 'file')} with data (${humanBytes(report.bytesSent)} sent), ${report.deletes} ${plural(report.deletes, 'delete')}; ` +
    `${skippedText(report.skipped)}; ${failures === 0 ? 'no failures.' : `${failures} ${plural(failures, 'failure')}:`}`;
  const lines = [head, ...listed(report.failures, 'failed')];
  if (report.skipped.length > 0) lines.push(...listed(report.skipped, 'skipped'));
  return `${lines.join('\n')}\n`;
}

function seededText(n: number): string {
  return n === 0 ? '' : `${n} ${plural(n, 'entry')} copied in bulk (seed copy), `;
}

function skippedText(skipped: readonly ItemProblem[]): string {
  if (skipped.length === 0) return 'nothing skipped';
  const byReason = new Map<string, number>();
  for (const s of skipped) byReason.set(s.code, (byReason.get(s.code) ?? 0) + 1);
  const reasons = [...byReason].map(([code, n]) => `${code} ×${n}`).join(', ');
  return `${skipped.length} skipped (${reasons})`;
}

/**
 * Entries grouped by cause: a transfer that failed for a whole box gives every file of it the
 * same code and message, which is said once, followed by the paths (up to MAX_LISTED in all).
 */
function listed(items: readonly ItemProblem[], verb: string): string[] {
  const byCause = new Map<string, { code: string; message: string; paths: string[] }>();
  for (const i of items) {
    const key = `${i.code}\0${i.message}`;
    const group = byCause.get(key) ?? { code: i.code, message: i.message, paths: [] };
    group.paths.push(i.path);
    byCause.set(key, group);
  }
  const lines: string[] = [];
  let listedCount = 0;
  for (const g of byCause.values()) {
    const shown = g.paths.slice(0, MAX_LISTED - listedCount);
    if (shown.length === 0) break;
    listedCount += shown.length;
    lines.push(`  ${verb} ${shown.map(displayText).join(', ')}: ${g.code}: ${displayText(g.message)}`);
  }
  const rest = items.length - listedCount;
  if (rest > 0) lines.push(`  … and ${rest} more ${verb} not listed (see the log)`);
  return lines;
}

const plural = (n: number, word: string): string =>
  n === 1 ? word : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`;
