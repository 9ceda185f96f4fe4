// Changelog file names: `<prefix>.<unix-seconds>` and, when a second already has one,
// `<prefix>.<unix-seconds>.<n>` (n = 1, 2, …). Consumers order files by (ts, n); names that
// do not match exactly (temp files, quarantined files) are not changelogs.

export const CHANGELOG_PREFIXES = ['CHANGELOG', 'XSYNC-CHANGELOG'] as const;
export type ChangelogPrefix = (typeof CHANGELOG_PREFIXES)[number];

export interface ChangelogName {
  readonly prefix: ChangelogPrefix;
  /** Unix seconds the file was rolled over at. */
  readonly ts: number;
  /** 0 for the first file of that second, then 1, 2, … */
  readonly seq: number;
}

export function changelogName(prefix: ChangelogPrefix, ts: number, seq: number): string {
  return seq === 0 ? `${prefix}.${ts}` : `${prefix}.${ts}.${seq}`;
}

// Canonical decimals only, so each (prefix, ts, seq) has exactly one file name.
const NAME_RE = /^(CHANGELOG|XSYNC-CHANGELOG)\.(0|[1-9][0-9]{0,14})(?:\.([1-9][0-9]{0,8}))?$/;

export function parseChangelogName(name: string): ChangelogName | undefined {
  const m = NAME_RE.exec(name);
  if (m === null) return undefined;
  return { prefix: m[1] as ChangelogPrefix, ts: Number(m[2]), seq: m[3] === undefined ? 0 : Number(m[3]) };
}

/** Sort order of changelogs: by ts, then seq (names alone do not sort: '.10' < '.9'). */
export function compareChangelogNames(a: ChangelogName, b: ChangelogName): number {
  return a.ts - b.ts || a.seq - b.seq;
}
