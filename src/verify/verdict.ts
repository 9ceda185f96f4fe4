// Verdicts: what verify says of one entry, and the rules that decide it from the two sides'
// listings. Pure: no I/O. One verdict per entry, the first that applies in VERDICTS order
// (what the entry is before what it holds, what it holds before its attributes).

import { displayPath } from '../changelog/index.js';
import type { Listed } from './list-dir.js';

export const VERDICTS = [
  'ok',
  'missing', // on the master, not on the slave
  'extra', // on the slave, not on the master
  'type',
  'target',
  'size',
  'content',
  'links',
  'mode',
  'owner',
  'mtime',
] as const;
export type Verdict = (typeof VERDICTS)[number];
export type Divergence = Exclude<Verdict, 'ok'>;

/** A divergence, with what each side has (short text for a person). */
export interface Finding {
  readonly verdict: Divergence;
  readonly master: string;
  readonly slave: string;
}

export interface CompareRules {
  /** Compare uid/gid: only when the slave agent runs as root (only root can give files away). */
  readonly owners: boolean;
}

/**
 * The roots: only their mtime. The slave root's mode and owner are its operator's (the agent
 * sets the root's times only), as tree-compare and the agent agree.
 */
export const ROOT_RULES = { owners: false, mode: false } as const;

const PERM_MASK = 0o7777;

const fmtMode = (m: number): string => `0${(m & PERM_MASK).toString(8)}`;
export function fmtNs(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  return `${neg ? '-' : ''}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
}
/** A symlink target for a person: each component escaped as names are, so any byte shows. */
const fmtTarget = (b: Buffer | undefined): string => (b === undefined ? '' : displayPath(b));

/** What the entries are and hold, short of content: type (and device number), target, size. */
export function judgeShape(m: Listed, s: Listed): Finding | undefined {
  if (m.kind !== s.kind) return { verdict: 'type', master: m.kind, slave: s.kind };
  if ((m.kind === 'chardev' || m.kind === 'blockdev') && m.rdev !== s.rdev)
    return { verdict: 'type', master: `${m.kind} ${m.rdev}`, slave: `${s.kind} ${s.rdev}` };
  if (m.kind === 'symlink' && !(m.target ?? Buffer.alloc(0)).equals(s.target ?? Buffer.alloc(0)))
    return { verdict: 'target', master: fmtTarget(m.target), slave: fmtTarget(s.target) };
  if (m.kind === 'file' && m.size !== s.size) return { verdict: 'size', master: String(m.size), slave: String(s.size) };
  return undefined;
}

/** Permission bits, owner, mtime (to the nanosecond: the agent sets every time with utimensat, as rsync does). */
export function judgeAttrs(
  m: Listed,
  s: Listed,
  rules: CompareRules & { readonly mode?: boolean },
): Finding | undefined {
  // A symlink's own mode is always 0777 on Linux and cannot be changed: nothing to compare.
  if (rules.mode !== false && m.kind !== 'symlink' && (m.mode & PERM_MASK) !== (s.mode & PERM_MASK))
    return { verdict: 'mode', master: fmtMode(m.mode), slave: fmtMode(s.mode) };
  if (rules.owners && (m.uid !== s.uid || m.gid !== s.gid))
    return { verdict: 'owner', master: `${m.uid}:${m.gid}`, slave: `${s.uid}:${s.gid}` };
  if (m.mtimeNs !== s.mtimeNs) return { verdict: 'mtime', master: fmtNs(m.mtimeNs), slave: fmtNs(s.mtimeNs) };
  return undefined;
}

/** Files whose content must be hashed to be judged: same size (else `size` decided), not empty. */
export const needsHash = (m: Listed, s: Listed): boolean => m.kind === 'file' && s.kind === 'file' && m.size > 0;
