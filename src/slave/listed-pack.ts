// A listDir page packed for the wire (protocol.ts, listDir). Why: with one JSON object per
// entry, writing the replies in the agent and parsing, checking and converting them in the
// master were most of a verify's JavaScript time (bench/README.md, verify: about 0.35 s on each
// side at 50,000 files). A page is instead two base64 strings, built in the agent straight from
// the native listing's stat slots (native/georep_fs.c, lstatdirat) and read in the master
// with one typed array:
//   names:   each entry's raw name bytes followed by one NUL (a name never holds NUL), entries
//            sorted by raw bytes, strictly ascending;
//   stats:   PACKED_SLOTS little-endian 64-bit integers per entry, in the order of Slot;
//   targets: each symlink's target escaped as a name is, in entry order.
// Invariant: unpackEntries accepts only what a real listing can hold (each check below), so a
// hostile or buggy agent gets BAD_REQUEST / BAD_NAME, never a Listed the walk would trust.

import { typeOfMode } from '../changelog/index.js';
import type { EntryType } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import { LIMITS } from './limits.js';
import { checkComponent, decodeTarget } from './wire-names.js';

/** One directory entry as verify compares it (both sides: the master's own listing and a slave page). */
export interface ListedEntry {
  readonly name: Buffer;
  readonly kind: EntryType;
  /** Full st_mode (type and permission bits). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly nlink: number;
  /** Only compared with other inodes of the same side. */
  readonly ino: bigint;
  readonly rdev: number;
  /** A symlink's target bytes. */
  readonly target?: Buffer;
}

/** The entries of one listDir page, as they travel. */
export interface PackedEntries {
  readonly names: string;
  readonly stats: string;
  readonly targets: readonly string[];
}

/** Slots per entry in `stats`, and what each holds. */
export const PACKED_SLOTS = 9;
const enum Slot {
  mode = 0,
  uid,
  gid,
  size,
  mtimeSec,
  mtimeNsec,
  nlink,
  ino, // unsigned
  rdev,
}
/** Where each Slot is in the native stat slots (native/georep_fs.c pack_statx), in Slot order. */
const FROM_NATIVE = [2, 4, 5, 7, 11, 12, 3, 1, 6] as const;
/** Native stat slots per entry (pack_statx's STAT_FIELDS). */
export const NATIVE_SLOTS = 18;

const NUL = 0;
const NS = 1_000_000_000n;
const MODE_MAX = 0o177777n;
const UINT32_MAX = 0xffff_ffffn;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
/** A character base64 never holds (checked with this and the padding rule, not one anchored pattern: 4x faster on a long page). */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
/** This host's byte order: the wire's is little-endian, a big-endian host swaps. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Bytes of JSON one packed entry adds to a page at most: its name and slots in base64, and its
 * target as UTF-8 with room for JSON's escaping (a target is an escaped name, which may keep
 * multi-byte characters and quotes as they are).
 */
export function packedBytes(name: Buffer, target: string | undefined): number {
  const packed = Math.ceil(((name.length + 1 + PACKED_SLOTS * 8) * 4) / 3) + 8;
  return packed + (target === undefined ? 0 : 2 * Buffer.byteLength(target) + 3);
}

/**
 * Builds one page in the agent: add() copies an entry's name and its slots out of the native
 * listing (no per-entry object), finish() encodes.
 */
export class EntryPacker {
  /** `littleEndian`: this host's byte order (a test plays a big-endian host with false). */
  constructor(private readonly littleEndian = LITTLE_ENDIAN) {}

  private readonly names: Buffer[] = [];
  private slots = new BigInt64Array(64 * PACKED_SLOTS);
  private readonly targets: string[] = [];
  private nameBytes = 0;

  get count(): number {
    return this.names.length;
  }

  /** Adds `name`, whose native slots start at `at` in `native`; `target` is a symlink's, escaped. */
  add(name: Buffer, native: BigInt64Array, at: number, target: string | undefined): void {
    const i = this.names.length;
    if ((i + 1) * PACKED_SLOTS > this.slots.length) {
      const bigger = new BigInt64Array(this.slots.length * 2);
      bigger.set(this.slots);
      this.slots = bigger;
    }
    const o = i * PACKED_SLOTS;
    for (let s = 0; s < PACKED_SLOTS; s++) this.slots[o + s] = native[at + (FROM_NATIVE[s] as number)] as bigint;
    this.names.push(name);
    this.nameBytes += name.length + 1;
    if (target !== undefined) this.targets.push(target);
  }

  finish(): PackedEntries {
    const names = Buffer.allocUnsafe(this.nameBytes);
    let at = 0;
    for (const n of this.names) {
      at += n.copy(names, at);
      names[at++] = NUL;
    }
    const native = Buffer.from(this.slots.buffer, 0, this.names.length * PACKED_SLOTS * 8);
    const stats = this.littleEndian ? native : Buffer.from(native).swap64(); // the wire is little-endian
    return { names: names.toString('base64'), stats: stats.toString('base64'), targets: this.targets };
  }
}

/**
 * Pages the reply validator checked (checkPacked), with what they unpack to: the master's
 * SlaveDirs reads the very object the validator returned, so each page is decoded once.
 */
const checkedPages = new WeakMap<PackedEntries, ListedEntry[]>();

/**
 * The reply validator's side (protocol.ts): checks a page whole (unpackEntries' checks) and
 * returns its fields as a fresh PackedEntries, whose entries unpackEntries then hands out as
 * they were decoded here.
 */
export function checkPacked(p: {
  readonly names: unknown;
  readonly stats: unknown;
  readonly targets: unknown;
}): PackedEntries {
  const entries = unpackEntries(p);
  const page: PackedEntries = { names: p.names as string, stats: p.stats as string, targets: p.targets as string[] };
  checkedPages.set(page, entries);
  return page;
}

function bad(what: string): never {
  throw new GeorepError('BAD_REQUEST', `bad reply: ${what}`);
}

function base64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !isBase64(v)) bad(`${what} must be a base64 string`);
  return Buffer.from(v, 'base64');
}

/** Standard base64 with its padding: '=' only as the last one or two of a length divisible by 4. */
function isBase64(v: string): boolean {
  if (v.length % 4 !== 0 || NOT_BASE64.test(v)) return false;
  const pad = v.indexOf('=');
  return pad < 0 || (pad >= v.length - 2 && v.endsWith('='));
}

function inRange(v: bigint, min: bigint, max: bigint, what: string): number {
  if (v < min || v > max) bad(`${what} ${v} is outside [${min}, ${max}]`);
  return Number(v);
}

/**
 * The entries of a page, checked: names valid path components (BAD_NAME), strictly ascending by
 * raw bytes, at most LIMITS.listEntries; stats one set per name with every field in range and a
 * known file type; one valid target per symlink. Throws BAD_REQUEST, LIMIT_EXCEEDED or BAD_NAME.
 */
export function unpackEntries(
  p: { readonly names: unknown; readonly stats: unknown; readonly targets: unknown },
  littleEndian = LITTLE_ENDIAN,
): ListedEntry[] {
  const checked = checkedPages.get(p as PackedEntries);
  if (checked !== undefined) return checked;
  const text = base64(p.names, 'names');
  const raw = base64(p.stats, 'stats');
  if (!Array.isArray(p.targets)) bad('targets must be an array');
  const names: Buffer[] = [];
  for (let from = 0; from < text.length;) {
    const end = text.indexOf(NUL, from);
    if (end < 0) bad('names must end each name with NUL');
    if (names.length === LIMITS.listEntries)
      throw new GeorepError('LIMIT_EXCEEDED', `a listDir page holds over ${LIMITS.listEntries} entries`);
    const name = text.subarray(from, end);
    if (name.length > LIMITS.nameBytes)
      throw new GeorepError('NAME_TOO_LONG', `names[${names.length}] is over ${LIMITS.nameBytes} bytes`);
    checkComponent(name, `names[${names.length}]`);
    const before = names.at(-1);
    if (before !== undefined && Buffer.compare(before, name) >= 0)
      bad(`names[${names.length}] is not after the name before it`);
    names.push(name);
    from = end + 1;
  }
  if (raw.length !== names.length * PACKED_SLOTS * 8)
    bad(`stats must hold ${PACKED_SLOTS} slots for each of ${names.length} names`);
  const slots = new BigInt64Array(names.length * PACKED_SLOTS);
  const bytes = Buffer.from(slots.buffer);
  raw.copy(bytes);
  if (!littleEndian) bytes.swap64();
  const unsigned = new BigUint64Array(slots.buffer);
  const targets = p.targets as unknown[];
  let nextTarget = 0;
  const out = new Array<ListedEntry>(names.length);
  for (let i = 0; i < names.length; i++) {
    const o = i * PACKED_SLOTS;
    const what = `entries[${i}]`;
    const mode = inRange(slots[o + Slot.mode] as bigint, 0n, MODE_MAX, `${what}.mode`);
    const kind = typeOfMode(mode) ?? bad(`${what}.mode ${mode.toString(8)} names no file type`);
    const nsec = slots[o + Slot.mtimeNsec] as bigint;
    inRange(nsec, 0n, NS - 1n, `${what}.mtime nsec`);
    const sec = slots[o + Slot.mtimeSec] as bigint;
    inRange(sec, SAFE_MIN, SAFE_MAX, `${what}.mtime sec`);
    const entry: ListedEntry = {
      name: names[i] as Buffer,
      kind,
      mode,
      uid: inRange(slots[o + Slot.uid] as bigint, 0n, UINT32_MAX, `${what}.uid`),
      gid: inRange(slots[o + Slot.gid] as bigint, 0n, UINT32_MAX, `${what}.gid`),
      size: inRange(slots[o + Slot.size] as bigint, 0n, SAFE_MAX, `${what}.size`),
      mtimeNs: sec * NS + nsec,
      nlink: inRange(slots[o + Slot.nlink] as bigint, 0n, UINT32_MAX, `${what}.nlink`),
      ino: unsigned[o + Slot.ino] as bigint,
      rdev: inRange(slots[o + Slot.rdev] as bigint, 0n, SAFE_MAX, `${what}.rdev`),
    };
    if (kind !== 'symlink') out[i] = entry;
    else {
      const t = targets[nextTarget++];
      if (typeof t !== 'string') bad(`${what} is a symlink and targets[${nextTarget - 1}] is not a string`);
      out[i] = { ...entry, target: decodeTarget(t, `${what}.target`) };
    }
  }
  if (nextTarget !== targets.length) bad(`targets holds ${targets.length} targets for ${nextTarget} symlinks`);
  return out;
}
