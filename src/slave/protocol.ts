// The cross-process contract between master and slave agent (after Tahoe's interfaces.py):
// every RPC method with its params and result types, the limits both ends enforce, the wire
// error shape. Both ends import the same validators; nothing else lives in this file (LIMITS
// is re-exported from limits.ts; name decoding is wire-names.ts, box packing path-claims.ts).
// Why this file is long: the whole cross-process contract (types, limits and the validators both
// ends run) stays in one place, so a change to it is one reviewable diff (DESIGN, seed 001).

import type { Gfid } from '../changelog/record.js';
import { GeorepError } from '../errors.js';
import { LIMITS } from './limits.js';
import { checkPacked } from './listed-pack.js';
import type { PackedEntries } from './listed-pack.js';
import { PathClaims } from './path-claims.js';
import { show } from './quote.js';
import { checkName, decodeDirPath, decodePath, decodeTarget } from './wire-names.js';
import { ENTRY_TYPES, OBJECT_TYPES, isGfid } from '../changelog/index.js';
import type { EntryType } from '../changelog/index.js';

export const PROTOCOL_VERSION = 5;

export { LIMITS };
export type { ListedEntry, PackedEntries } from './listed-pack.js';
export { unpackEntries } from './listed-pack.js';

/**
 * A name on the wire: the changelog escaping of the raw bytes (src/changelog name codec),
 * so any byte string travels losslessly inside JSON. Limits apply to the decoded bytes.
 */
export type WireName = string;

export interface WireEntry {
  readonly pargfid: Gfid;
  readonly name: WireName;
}

export interface Timespec {
  readonly sec: number;
  readonly nsec: number;
}

/** A path relative to the master root: names escaped as WireName, joined by '/'. */
export type WirePath = string;

/** One data item of a staging box: the gfid, and where rsync writes it inside the box. */
export interface StageItem {
  readonly gfid: Gfid;
  readonly path: WirePath;
}

/** A committed file as the slave now has it: the master checks it against its own file. */
export interface Committed {
  readonly gfid: Gfid;
  /** false when the staged file was the basis itself (rsync found nothing to change). */
  readonly replaced: boolean;
  readonly size: number;
  readonly mtime: Timespec;
}

/** Owner and permission bits; uid/gid are applied only when the agent runs as root. */
interface Owned {
  readonly mode: number; // full st_mode (type bits + permission bits)
  readonly uid: number;
  readonly gid: number;
}

/**
 * The session ignores deletes (ignore-deletes, purge axis noop): what the slave holds at the
 * op's place may be entries the master deleted and the slave keeps on purpose. A directory found
 * there holding entries is then neither refused (ENOTEMPTY, which without ignore-deletes waits
 * for the master's own moves to empty it, and here would wait for ever) nor deleted: a MKDIR
 * takes it over (the slave's directory gets the new gfid, its entries stay in it), any other op
 * moves it aside under `<name>.georep-kept-<gfid8>` (src/slave/kept-dir.ts). Sent only when
 * true. An agent that predates the field drops it in validation and refuses as before: safe.
 */
interface Keeping {
  readonly keepDeleted?: boolean;
}

export type EntryOp =
  | ({
      readonly op: 'CREATE';
      readonly gfid: Gfid;
      readonly entry: WireEntry;
      /**
       * Its content follows in this batch's data (stage + commit): the agent only records the
       * gfid and the commit's rename creates the file. Saves making an empty file to replace.
       */
      readonly deferred?: boolean;
    } & Owned &
      Keeping)
  | ({ readonly op: 'MKDIR'; readonly gfid: Gfid; readonly entry: WireEntry } & Owned & Keeping)
  | ({ readonly op: 'MKNOD'; readonly gfid: Gfid; readonly entry: WireEntry; readonly rdev: number } & Owned & Keeping)
  | ({
      readonly op: 'SYMLINK';
      readonly gfid: Gfid;
      readonly entry: WireEntry;
      readonly target: WireName; // escaped bytes of the link target; may dangle
      readonly uid: number;
      readonly gid: number;
    } & Keeping)
  | ({ readonly op: 'LINK'; readonly gfid: Gfid; readonly entry: WireEntry } & Keeping)
  | ({
      readonly op: 'RENAME';
      readonly gfid: Gfid;
      readonly entry: WireEntry;
      readonly to: WireEntry;
      /**
       * The master no longer has the gfid (removed after this rename, before the batch was
       * read): the slave drops every name of it and whatever the rename replaced at `to`,
       * instead of moving data that is about to go into a place it may not have.
       */
      readonly gone?: boolean;
      /**
       * On a RENAME onto itself only (a resync of a hard-linked file): the gfid's other names on
       * the master, which the slave keeps; any other name of the gfid it has goes. An agent that
       * ignores it keeps `to` alone, and the CREATEs that follow link the others again.
       */
      readonly alsoNamed?: readonly WireEntry[];
    } & Keeping)
  | {
      readonly op: 'UNLINK' | 'RMDIR';
      readonly gfid: Gfid;
      readonly entry: WireEntry;
      /**
       * The master no longer has the gfid under any name: the slave drops every name it has of
       * it, not only `entry`. A slave that has it elsewhere (its move there failed, say for a
       * parent it lacked) would otherwise keep a copy the master never names again.
       */
      readonly gone?: boolean;
    };

export type EntryOpName = EntryOp['op'];
/** The entry ops that remove a name (what the master's mass-delete brake counts and holds). */
export type RemoveOp = Extract<EntryOp, { readonly op: 'UNLINK' | 'RMDIR' }>;

/** What an entry a seed copy made is adopted as: an object type, or another name of a file gfid. */
export const ADOPT_KINDS = [...OBJECT_TYPES, 'link'] as const;
export type AdoptKind = (typeof ADOPT_KINDS)[number];

/**
 * What the master's crawl saw of one entry the seed copy should have made at `entry`. The agent
 * records the gfid for the slave's entry there only if it matches: type, permission bits,
 * owner (root only), and for a file its size and mtime to the nanosecond, for a symlink its
 * target, for a device its rdev, for a `link` the inode of the gfid's adopted first name.
 */
export interface AdoptItem {
  readonly gfid: Gfid;
  readonly entry: WireEntry;
  readonly kind: AdoptKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: Timespec;
  readonly rdev: number;
  readonly target?: WireName;
}

/** setattr for an existing gfid: permission bits, owner (root only), times. */
export interface MetaOp {
  readonly gfid: Gfid;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
}

/** What a directory entry is, as verify compares it (sockets are listed too: the master skips its own). */
export const ENTRY_KINDS = ENTRY_TYPES;
export type EntryKind = EntryType;

/** A listed directory's own attributes (its name is its parent's business). */
export interface DirAttrs {
  readonly mode: number; // full st_mode
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Timespec;
}

/** One file's content digest, or why the agent could not read it (an errno name, NOT_FILE). */
export type HashResult = { readonly sha256: string } | { readonly error: string };

/** One path of a dropPaths request that could not be cleared. `index` is its position. */
export interface DropFailure extends WireError {
  readonly index: number;
}

/** The wire error shape: no stacks, no class names. `code` is an ErrorCode or an errno name. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly path?: string;
}

/** One op of a batch that did not apply. `index` is its position in the request. */
export interface OpFailure extends WireError {
  readonly index: number;
  readonly gfid: Gfid;
}

export interface Methods {
  /** Version handshake; binds the slave root to the master volume (volume mark). */
  hello: {
    params: {
      readonly version: number;
      readonly masterVolume: string; // uuid of the master volume
      readonly masterPath: string; // for messages only
      readonly rebind: boolean; // recover mode: take over a slave bound to another volume
    };
    result: {
      readonly version: number;
      readonly slaveId: string; // uuid minted when <slave>/.georep was created
      readonly stagingDir: string; // absolute path rsync writes staged files into
      readonly stimeMs: number | null;
      readonly isRoot: boolean;
    };
  };
  entryOps: { params: { readonly ops: readonly EntryOp[] }; result: { readonly failures: readonly OpFailure[] } };
  metaOps: { params: { readonly ops: readonly MetaOp[] }; result: { readonly failures: readonly OpFailure[] } };
  /** Hard-link each gfid's current slave file into the staging dir as rsync's delta basis. */
  /**
   * Prepares staging box `box` for rsync: each item's parent folders under
   * `<stagingDir>/<box>/`, and (basis true) a hard link of the gfid's current slave file at
   * `<box>/<path>` as rsync's delta basis. `path` is the master-relative path rsync will write.
   */
  stageData: {
    params: { readonly box: string; readonly items: readonly StageItem[]; readonly basis: boolean };
    result: { readonly unknown: readonly Gfid[] };
  };
  /**
   * Renames each staged regular file onto every name its gfid has on the slave (atomic
   * replace), reports what each committed file now is, and removes the box. `missing` lists
   * items with no staged regular file (the engine did not deliver it).
   */
  commitData: {
    params: { readonly box: string; readonly items: readonly StageItem[] };
    result: {
      readonly committed: readonly Committed[];
      readonly missing: readonly Gfid[];
      readonly failures: readonly OpFailure[];
    };
  };
  /** Remove from each directory the entries the slave index does not know (normal purge). */
  purgeUnknown: {
    params: { readonly dirs: readonly Gfid[] };
    result: { readonly removed: number; readonly failures: readonly OpFailure[] };
  };
  /**
   * Counts, changing nothing, what removals would take from the slave (the master's
   * mass-delete brake asks before it sends any). `entries`: the names `ops` would remove, each
   * only if it still holds its gfid, an RMDIR with everything the index has below it, each name
   * once. `unknown`: what purgeUnknown of `dirs` would remove, recursively. `total`: the names
   * the slave index holds.
   */
  countRemovals: {
    params: { readonly ops: readonly RemoveOp[]; readonly dirs: readonly Gfid[] };
    result: { readonly entries: number; readonly unknown: number; readonly total: number };
  };
  /**
   * Seed copy, step 1: when the slave holds nothing yet (no index entry, nothing in the root
   * but .georep), makes an empty `<root>/.georep/seed` and returns its absolute path, for the
   * master to copy its whole tree into (a local slave only). `dir` null: no seeding, `reason` why.
   */
  seedBegin: { params: Record<string, never>; result: { readonly dir: string | null; readonly reason: string } };
  /**
   * Seed copy, step 2: moves every entry of the seed folder into the still-empty root. From
   * then on, on this connection, `adopt` may record those entries for the master's gfids.
   */
  seedCommit: { params: Record<string, never>; result: { readonly moved: number } };
  /** The seed copy failed: its folder goes, the slave stays as it was. */
  seedAbort: { params: Record<string, never>; result: null };
  /** Records each item's gfid for the seeded entry at its place, when it matches; returns the adopted indexes. */
  adopt: { params: { readonly items: readonly AdoptItem[] }; result: { readonly adopted: readonly number[] } };
  setStime: { params: { readonly stimeMs: number }; result: null };
  /**
   * Verify: one page of directory `dir` ('' is the root; the root's .georep is never listed),
   * entries sorted by their raw name bytes, those after `after` (null: from the start), and the
   * directory's own attributes. `found` false: no directory there (absent, or not a real
   * directory). `next` names the last entry when more follow (ask again with it as `after`),
   * else null. The entries are packed (listed-pack.ts: names and lstat fields as base64, the
   * symlinks' targets); unpackEntries reads and checks them. Read-only.
   */
  listDir: {
    params: { readonly dir: WirePath; readonly after: WireName | null };
    result: {
      readonly found: boolean;
      readonly self: DirAttrs | null;
      readonly entries: PackedEntries;
      readonly next: WireName | null;
    };
  };
  /** Verify with checksums: the SHA-256 of each named regular file in `dir`, in order. Read-only. */
  hashFiles: {
    params: { readonly dir: WirePath; readonly names: readonly WireName[] };
    result: { readonly hashes: readonly HashResult[] };
  };
  /**
   * Repair: empties each place (a directory with its subtree) and forgets its names in the slave
   * index, so entries the master sends again are made afresh. The parent's times are kept.
   * `dropped` counts the paths where there was something to remove or forget.
   */
  dropPaths: {
    params: { readonly paths: readonly WirePath[] };
    result: { readonly dropped: number; readonly failures: readonly DropFailure[] };
  };
  /**
   * Repair's mass-delete brake: counts, changing nothing, the entries dropPaths of `paths` would
   * remove from the slave's disk (each path, and everything below a directory), stopping at
   * `cap`. A path that is gone or cannot be walked counts what was reached.
   */
  countPaths: {
    params: { readonly paths: readonly WirePath[]; readonly cap: number };
    result: { readonly entries: number };
  };
  /**
   * Keep-alive: the master sends it while it has nothing else to send, so an agent that hears
   * nothing for its idle timeout knows the master (or the link) is gone and exits.
   */
  /**
   * The master's index does not know this slave (it was rebuilt after a quarantine, or the
   * session started over): the gfids the slave index holds mean nothing to it. Forgets every name
   * and object (the volume mark, slaveId and stime stay), so each entry the master sends next
   * finds what is here by name and adopts it (claimPlace) rather than replacing it.
   * `forgotten`: the names the index held.
   */
  forgetNames: { params: Record<string, never>; result: { readonly forgotten: number } };
  ping: { params: Record<string, never>; result: null };
  bye: { params: Record<string, never>; result: null };
}

export type MethodName = keyof Methods;
export const METHOD_NAMES = [
  'hello',
  'entryOps',
  'metaOps',
  'stageData',
  'commitData',
  'purgeUnknown',
  'countRemovals',
  'seedBegin',
  'seedCommit',
  'seedAbort',
  'adopt',
  'setStime',
  'listDir',
  'hashFiles',
  'dropPaths',
  'countPaths',
  'forgetNames',
  'ping',
  'bye',
] as const satisfies readonly MethodName[];

export interface Request<M extends MethodName = MethodName> {
  readonly id: number;
  readonly method: M;
  readonly params: Methods[M]['params'];
}

export type Response<M extends MethodName = MethodName> =
  { readonly id: number; readonly result: Methods[M]['result'] } | { readonly id: number; readonly error: WireError };

// Validators. Both ends run these: the client before sending, the agent on receipt. Each
// returns a fresh object holding only the declared fields, so nothing unchecked travels on.

/** Request id used in an error reply when the request's own id could not be read. */
export const UNKNOWN_REQUEST_ID = -1;

type Fields = Readonly<Record<string, unknown>>;
const UINT32_MAX = 0xffff_ffff;
const MODE_MAX = 0o177777; // st_mode: type bits + permission bits
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function badRequest(what: string): never {
  throw new GeorepError('BAD_REQUEST', `bad request: ${what}`);
}

function fields(v: unknown, what: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) badRequest(`${what} must be an object`);
  return v as Fields;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    badRequest(`${what} must be an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') badRequest(`${what} must be a boolean`);
  return v;
}

function text(v: unknown, what: string, maxBytes: number): string {
  if (typeof v !== 'string') badRequest(`${what} must be a string`);
  if (Buffer.byteLength(v) > maxBytes) throw new GeorepError('PATH_TOO_LONG', `${what} is over ${maxBytes} bytes`);
  return v;
}

function gfid(v: unknown, what: string): Gfid {
  if (typeof v !== 'string' || !isGfid(v)) badRequest(`${what} must be a lowercase uuid gfid`);
  return v;
}

function list<T>(v: unknown, what: string, max: number, each: (x: unknown, i: number) => T): readonly T[] {
  if (!Array.isArray(v)) badRequest(`${what} must be an array`);
  if (v.length > max) throw new GeorepError('LIMIT_EXCEEDED', `${what} holds ${v.length} items, the limit is ${max}`);
  return v.map((x: unknown, i: number) => each(x, i));
}

/** A wire string that passes `check` (a decoder whose result is dropped, or a plain check). */
function wire(v: unknown, what: string, check: (w: string, what: string) => unknown): string {
  if (typeof v !== 'string') badRequest(`${what} must be a string`);
  check(v, what);
  return v;
}

function entry(v: unknown, what: string): WireEntry {
  const f = fields(v, what);
  return { pargfid: gfid(f['pargfid'], `${what}.pargfid`), name: wire(f['name'], `${what}.name`, checkName) };
}

function timespec(v: unknown, what: string): Timespec {
  const f = fields(v, what);
  return {
    sec: int(f['sec'], `${what}.sec`, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    nsec: int(f['nsec'], `${what}.nsec`, 0, 999_999_999),
  };
}

function owner(f: Fields, what: string): { uid: number; gid: number } {
  return { uid: int(f['uid'], `${what}.uid`, 0, UINT32_MAX), gid: int(f['gid'], `${what}.gid`, 0, UINT32_MAX) };
}

/** An op's keepDeleted (see Keeping), added only when sent. */
function keeping(f: Fields, what: string): Keeping {
  return f['keepDeleted'] === undefined ? {} : { keepDeleted: bool(f['keepDeleted'], `${what}.keepDeleted`) };
}

function entryOp(v: unknown, i: number): EntryOp {
  const what = `ops[${i}]`;
  const f = fields(v, what);
  const base = { gfid: gfid(f['gfid'], `${what}.gfid`), entry: entry(f['entry'], `${what}.entry`) };
  const op = f['op'];
  switch (op) {
    case 'CREATE': {
      const created = { op, ...base, mode: int(f['mode'], `${what}.mode`, 0, MODE_MAX), ...owner(f, what) };
      const deferred = f['deferred'] === undefined ? {} : { deferred: bool(f['deferred'], `${what}.deferred`) };
      return { ...created, ...deferred, ...keeping(f, what) };
    }
    case 'MKDIR':
      return { op, ...base, mode: int(f['mode'], `${what}.mode`, 0, MODE_MAX), ...owner(f, what), ...keeping(f, what) };
    case 'MKNOD':
      return {
        op,
        ...base,
        mode: int(f['mode'], `${what}.mode`, 0, MODE_MAX),
        ...owner(f, what),
        rdev: int(f['rdev'], `${what}.rdev`, 0, Number.MAX_SAFE_INTEGER),
        ...keeping(f, what),
      };
    case 'SYMLINK':
      return {
        op,
        ...base,
        target: wire(f['target'], `${what}.target`, decodeTarget),
        ...owner(f, what),
        ...keeping(f, what),
      };
    case 'RENAME': {
      const moved = { op, ...base, to: entry(f['to'], `${what}.to`) };
      const gone = f['gone'] === undefined ? {} : { gone: bool(f['gone'], `${what}.gone`) };
      const also =
        f['alsoNamed'] === undefined
          ? {}
          : {
              alsoNamed: list(f['alsoNamed'], `${what}.alsoNamed`, LIMITS.gfidsPerCall, (x, j) =>
                entry(x, `${what}.alsoNamed[${j}]`),
              ),
            };
      return { ...moved, ...gone, ...also, ...keeping(f, what) };
    }
    case 'LINK':
      return { op, ...base, ...keeping(f, what) };
    case 'UNLINK':
    case 'RMDIR':
      return f['gone'] === undefined ? { op, ...base } : { op, ...base, gone: bool(f['gone'], `${what}.gone`) };
    default:
      return badRequest(`${what}.op ${show(op)} is not an entry op`);
  }
}

function removeOp(v: unknown, i: number): RemoveOp {
  const op = entryOp(v, i);
  if (op.op !== 'UNLINK' && op.op !== 'RMDIR') return badRequest(`ops[${i}].op ${show(op.op)} removes nothing`);
  return op;
}

function metaOp(v: unknown, i: number): MetaOp {
  const what = `ops[${i}]`;
  const f = fields(v, what);
  return {
    gfid: gfid(f['gfid'], `${what}.gfid`),
    mode: int(f['mode'], `${what}.mode`, 0, MODE_MAX),
    ...owner(f, what),
    atime: timespec(f['atime'], `${what}.atime`),
    mtime: timespec(f['mtime'], `${what}.mtime`),
  };
}

const BOX_RE = /^[A-Za-z0-9_-]+$/;

function boxName(v: unknown): string {
  if (typeof v !== 'string' || v.length > LIMITS.boxNameBytes || !BOX_RE.test(v)) {
    badRequest(`box must be 1 to ${LIMITS.boxNameBytes} of [A-Za-z0-9_-], got ${show(v)}`);
  }
  return v;
}

function stageItems(v: unknown): readonly StageItem[] {
  const claims = new PathClaims();
  return list(v, 'items', LIMITS.gfidsPerCall, (x, i) => {
    const f = fields(x, `items[${i}]`);
    let raw: Buffer = Buffer.alloc(0);
    const path = wire(f['path'], `items[${i}].path`, (w, what) => (raw = decodePath(w, what)));
    if (!claims.claim(raw)) badRequest(`items[${i}].path ${show(path)} collides with another item of the box`);
    return { gfid: gfid(f['gfid'], `items[${i}].gfid`), path };
  });
}

/** A string field that must be one of `choices`; `bad` says which end refuses it. */
function oneOf<T extends string>(v: unknown, choices: readonly T[], what: string, bad: (m: string) => never): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v))
    bad(`${what} ${show(v)} is not one of ${choices.join(', ')}`);
  return v as T;
}

/** The lstat fields an adopted or listed entry carries (mode, owner, size, mtime, rdev). */
function statFields(f: Fields, what: string) {
  return {
    mode: int(f['mode'], `${what}.mode`, 0, MODE_MAX),
    ...owner(f, what),
    size: int(f['size'], `${what}.size`, 0, Number.MAX_SAFE_INTEGER),
    mtime: timespec(f['mtime'], `${what}.mtime`),
    rdev: int(f['rdev'], `${what}.rdev`, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** A symlink's entry gets its target; any other kind is as it is. */
function withTarget<E extends object>(e: E, kind: string, f: Fields, what: string): E | (E & { target: WireName }) {
  return kind === 'symlink' ? { ...e, target: wire(f['target'], `${what}.target`, decodeTarget) } : e;
}

function adoptItem(v: unknown, i: number): AdoptItem {
  const what = `items[${i}]`;
  const f = fields(v, what);
  const kind = oneOf(f['kind'], ADOPT_KINDS, `${what}.kind`, badRequest);
  const item = { gfid: gfid(f['gfid'], `${what}.gfid`), entry: entry(f['entry'], `${what}.entry`), kind };
  return withTarget({ ...item, ...statFields(f, what) }, kind, f, what);
}

const gfidList = (v: unknown, what: string): readonly Gfid[] =>
  list(v, what, LIMITS.gfidsPerCall, (x, i) => gfid(x, `${what}[${i}]`));

type Validators = { readonly [M in MethodName]: (p: Fields) => Methods[M]['params'] };

const VALIDATORS: Validators = {
  hello: (p) => {
    const masterVolume = p['masterVolume'];
    if (typeof masterVolume !== 'string' || !UUID_RE.test(masterVolume)) badRequest('masterVolume must be a uuid');
    return {
      version: int(p['version'], 'version', 0, Number.MAX_SAFE_INTEGER),
      masterVolume,
      masterPath: text(p['masterPath'], 'masterPath', LIMITS.pathBytes),
      rebind: bool(p['rebind'], 'rebind'),
    };
  },
  entryOps: (p) => ({ ops: list(p['ops'], 'ops', LIMITS.opsPerBatch, entryOp) }),
  metaOps: (p) => ({ ops: list(p['ops'], 'ops', LIMITS.opsPerBatch, metaOp) }),
  stageData: (p) => ({ box: boxName(p['box']), items: stageItems(p['items']), basis: bool(p['basis'], 'basis') }),
  commitData: (p) => ({ box: boxName(p['box']), items: stageItems(p['items']) }),
  purgeUnknown: (p) => ({ dirs: gfidList(p['dirs'], 'dirs') }),
  countRemovals: (p) => ({
    ops: list(p['ops'], 'ops', LIMITS.opsPerBatch, removeOp),
    dirs: gfidList(p['dirs'], 'dirs'),
  }),
  seedBegin: () => ({}),
  seedCommit: () => ({}),
  seedAbort: () => ({}),
  adopt: (p) => ({ items: list(p['items'], 'items', LIMITS.opsPerBatch, adoptItem) }),
  setStime: (p) => {
    const stimeMs = p['stimeMs'];
    if (typeof stimeMs !== 'number' || !Number.isFinite(stimeMs) || stimeMs < 0)
      badRequest('stimeMs must be a number >= 0');
    return { stimeMs };
  },
  listDir: (p) => ({
    dir: wire(p['dir'], 'dir', decodeDirPath),
    after: p['after'] === null ? null : wire(p['after'], 'after', checkName),
  }),
  hashFiles: (p) => ({
    dir: wire(p['dir'], 'dir', decodeDirPath),
    names: list(p['names'], 'names', LIMITS.namesPerCall, (x, i) => wire(x, `names[${i}]`, checkName)),
  }),
  dropPaths: (p) => ({
    paths: list(p['paths'], 'paths', LIMITS.namesPerCall, (x, i) => wire(x, `paths[${i}]`, decodePath)),
  }),
  countPaths: (p) => ({
    paths: list(p['paths'], 'paths', LIMITS.namesPerCall, (x, i) => wire(x, `paths[${i}]`, decodePath)),
    cap: int(p['cap'], 'cap', 0, Number.MAX_SAFE_INTEGER),
  }),
  forgetNames: () => ({}),
  ping: () => ({}),
  bye: () => ({}),
};

// Reply validators, for the methods whose replies carry what the slave tree holds (a slave host
// is not trusted with the master's decisions): the client checks them before using them.

const SHA256_RE = /^[0-9a-f]{64}$/;
const ERROR_CODE_RE = /^[A-Z][A-Z0-9_]{0,39}$/;

/** A page's packed entries, checked whole (listed-pack.ts checkPacked, which keeps what they unpack to). */
function packedEntries(v: unknown): PackedEntries {
  const f = fields(v, 'entries');
  return checkPacked({ names: f['names'], stats: f['stats'], targets: f['targets'] });
}

function dirAttrs(v: unknown): DirAttrs {
  const f = fields(v, 'self');
  return {
    mode: int(f['mode'], 'self.mode', 0, MODE_MAX),
    ...owner(f, 'self'),
    mtime: timespec(f['mtime'], 'self.mtime'),
  };
}

function hashResult(v: unknown, i: number): HashResult {
  const f = fields(v, `hashes[${i}]`);
  const sha256 = f['sha256'];
  if (typeof sha256 === 'string' && SHA256_RE.test(sha256)) return { sha256 };
  const error = f['error'];
  if (typeof error === 'string' && ERROR_CODE_RE.test(error)) return { error };
  return badReply(`hashes[${i}] must hold a lowercase hex sha256 or an error code`);
}

function dropFailure(v: unknown, i: number): DropFailure {
  const what = `failures[${i}]`;
  const f = fields(v, what);
  const base = {
    index: int(f['index'], `${what}.index`, 0, LIMITS.namesPerCall - 1),
    code: text(f['code'], `${what}.code`, 64),
    message: text(f['message'], `${what}.message`, LIMITS.pathBytes * 4),
  };
  return f['path'] === undefined ? base : { ...base, path: text(f['path'], `${what}.path`, LIMITS.pathBytes * 3) };
}

function badReply(what: string): never {
  throw new GeorepError('BAD_REQUEST', `bad reply from the slave agent: ${what}`);
}

function opFailure(v: unknown, i: number, maxIndex: number): OpFailure {
  const what = `failures[${i}]`;
  const f = fields(v, what);
  const base = {
    index: int(f['index'], `${what}.index`, 0, maxIndex),
    gfid: gfid(f['gfid'], `${what}.gfid`),
    code: text(f['code'], `${what}.code`, 64),
    message: text(f['message'], `${what}.message`, LIMITS.pathBytes * 4),
  };
  return f['path'] === undefined ? base : { ...base, path: text(f['path'], `${what}.path`, LIMITS.pathBytes * 3) };
}

/** A reply's `failures`: one per op of a request of at most `ops` items. */
const opFailures = (v: unknown, ops: number): readonly OpFailure[] =>
  list(v, 'failures', ops, (x, i) => opFailure(x, i, ops - 1));

function committed(v: unknown, i: number): Committed {
  const what = `committed[${i}]`;
  const f = fields(v, what);
  return {
    gfid: gfid(f['gfid'], `${what}.gfid`),
    replaced: bool(f['replaced'], `${what}.replaced`),
    size: int(f['size'], `${what}.size`, 0, Number.MAX_SAFE_INTEGER),
    mtime: timespec(f['mtime'], `${what}.mtime`),
  };
}

const count = (v: unknown, what: string): number => int(v, what, 0, Number.MAX_SAFE_INTEGER);

function nothing(r: unknown): null {
  if (r !== null) badReply(`result must be null, got ${show(r)}`);
  return null;
}

type ResultValidators = { readonly [M in MethodName]: (r: unknown) => Methods[M]['result'] };

/** Every method's reply is checked before the master uses it: a slave host is not trusted. */
const RESULT_VALIDATORS: ResultValidators = {
  hello: (r) => {
    const f = fields(r, 'result');
    const slaveId = f['slaveId'];
    if (typeof slaveId !== 'string' || !UUID_RE.test(slaveId)) badReply('slaveId must be a uuid');
    const stimeMs = f['stimeMs'];
    if (stimeMs !== null && (typeof stimeMs !== 'number' || !Number.isFinite(stimeMs) || stimeMs < 0))
      badReply('stimeMs must be null or a number >= 0');
    return {
      version: int(f['version'], 'version', 0, Number.MAX_SAFE_INTEGER),
      slaveId,
      stagingDir: text(f['stagingDir'], 'stagingDir', LIMITS.pathBytes),
      stimeMs,
      isRoot: bool(f['isRoot'], 'isRoot'),
    };
  },
  entryOps: (r) => ({ failures: opFailures(fields(r, 'result')['failures'], LIMITS.opsPerBatch) }),
  metaOps: (r) => ({ failures: opFailures(fields(r, 'result')['failures'], LIMITS.opsPerBatch) }),
  stageData: (r) => ({ unknown: gfidList(fields(r, 'result')['unknown'], 'unknown') }),
  commitData: (r) => {
    const f = fields(r, 'result');
    return {
      committed: list(f['committed'], 'committed', LIMITS.gfidsPerCall, committed),
      missing: gfidList(f['missing'], 'missing'),
      failures: opFailures(f['failures'], LIMITS.gfidsPerCall),
    };
  },
  purgeUnknown: (r) => {
    const f = fields(r, 'result');
    return { removed: count(f['removed'], 'removed'), failures: opFailures(f['failures'], LIMITS.gfidsPerCall) };
  },
  countRemovals: (r) => {
    const f = fields(r, 'result');
    return {
      entries: count(f['entries'], 'entries'),
      unknown: count(f['unknown'], 'unknown'),
      total: count(f['total'], 'total'),
    };
  },
  seedBegin: (r) => {
    const f = fields(r, 'result');
    return {
      dir: f['dir'] === null ? null : text(f['dir'], 'dir', LIMITS.pathBytes),
      reason: text(f['reason'], 'reason', LIMITS.pathBytes * 4),
    };
  },
  seedCommit: (r) => ({ moved: count(fields(r, 'result')['moved'], 'moved') }),
  seedAbort: nothing,
  adopt: (r) => ({
    adopted: list(fields(r, 'result')['adopted'], 'adopted', LIMITS.opsPerBatch, (x, i) =>
      int(x, `adopted[${i}]`, 0, LIMITS.opsPerBatch - 1),
    ),
  }),
  setStime: nothing,
  listDir: (r) => {
    const f = fields(r, 'result');
    const next = f['next'];
    const self = f['self'];
    return {
      found: bool(f['found'], 'found'),
      self: self === null ? null : dirAttrs(self),
      entries: packedEntries(f['entries']),
      next: next === null ? null : wire(next, 'next', checkName),
    };
  },
  hashFiles: (r) => ({ hashes: list(fields(r, 'result')['hashes'], 'hashes', LIMITS.namesPerCall, hashResult) }),
  forgetNames: (r) => ({ forgotten: int(fields(r, 'result')['forgotten'], 'forgotten', 0, Number.MAX_SAFE_INTEGER) }),
  dropPaths: (r) => {
    const f = fields(r, 'result');
    return {
      dropped: int(f['dropped'], 'dropped', 0, LIMITS.namesPerCall),
      failures: list(f['failures'], 'failures', LIMITS.namesPerCall, dropFailure),
    };
  },
  countPaths: (r) => ({ entries: count(fields(r, 'result')['entries'], 'entries') }),
  ping: nothing,
  bye: nothing,
};

/**
 * Checks a reply of `method` against its declared result and returns a fresh copy holding only
 * the declared fields. Throws GeorepError BAD_REQUEST (or LIMIT_EXCEEDED, PATH_TOO_LONG) naming
 * the field.
 */
export function validateResult<M extends MethodName>(method: M, result: unknown): Methods[M]['result'] {
  const validate = RESULT_VALIDATORS[method] as (r: unknown) => Methods[M]['result'];
  return validate(result);
}

export function isMethodName(v: unknown): v is MethodName {
  return typeof v === 'string' && (METHOD_NAMES as readonly string[]).includes(v);
}

/**
 * Checks `params` against the declared params of `method`. Throws GeorepError BAD_REQUEST (shape),
 * LIMIT_EXCEEDED (batch sizes), BAD_NAME / NAME_TOO_LONG (names), PATH_TOO_LONG (paths).
 */
export function validateParams<M extends MethodName>(method: M, params: unknown): Methods[M]['params'] {
  if (!isMethodName(method)) badRequest(`unknown method ${show(method)}`);
  // `method` is one of METHOD_NAMES here, and VALIDATORS is a literal with exactly those keys.
  const validate: (p: Fields) => Methods[M]['params'] = VALIDATORS[method];
  return validate(fields(params, 'params'));
}
