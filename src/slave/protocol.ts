// The cross-process contract between master and slave agent (after Tahoe's interfaces.py):
// every RPC method with its params and result types, the limits both ends enforce, the wire
// error shape. Both ends import the same validators; nothing else lives in this file.

import type { Gfid } from '../changelog/record.js';

export const PROTOCOL_VERSION = 1;

/** Limits, counted in bytes (Buffer.byteLength) where they are sizes. */
export const LIMITS = {
  /** One name (decoded bytes), as NAME_MAX. */
  nameBytes: 255,
  /** One path (decoded bytes), as PATH_MAX. */
  pathBytes: 4096,
  /** Entry or meta ops in one request. */
  opsPerBatch: 1000,
  /** gfids in one stageData/commitData/purgeUnknown request. */
  gfidsPerCall: 5000,
  /** One JSON message (request or response line), in bytes. */
  messageBytes: 8 << 20,
} as const;

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

/** Owner and permission bits; uid/gid are applied only when the agent runs as root. */
interface Owned {
  readonly mode: number; // full st_mode (type bits + permission bits)
  readonly uid: number;
  readonly gid: number;
}

export type EntryOp =
  | ({ readonly op: 'CREATE'; readonly gfid: Gfid; readonly entry: WireEntry } & Owned)
  | ({ readonly op: 'MKDIR'; readonly gfid: Gfid; readonly entry: WireEntry } & Owned)
  | ({ readonly op: 'MKNOD'; readonly gfid: Gfid; readonly entry: WireEntry; readonly rdev: number } & Owned)
  | {
      readonly op: 'SYMLINK';
      readonly gfid: Gfid;
      readonly entry: WireEntry;
      readonly target: WireName; // escaped bytes of the link target; may dangle
      readonly uid: number;
      readonly gid: number;
    }
  | { readonly op: 'LINK'; readonly gfid: Gfid; readonly entry: WireEntry }
  | { readonly op: 'RENAME'; readonly gfid: Gfid; readonly entry: WireEntry; readonly to: WireEntry }
  | { readonly op: 'UNLINK' | 'RMDIR'; readonly gfid: Gfid; readonly entry: WireEntry };

export type EntryOpName = EntryOp['op'];

/** setattr for an existing gfid: permission bits, owner (root only), times. */
export interface MetaOp {
  readonly gfid: Gfid;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
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
  /** With basis false, only clears stale staging files (engines that send whole files). */
  stageData: {
    params: { readonly gfids: readonly Gfid[]; readonly basis: boolean };
    result: { readonly unknown: readonly Gfid[] };
  };
  /**
   * Rename each staged file onto every name its gfid has on the slave (atomic replace).
   * `missing` lists gfids with no staged file (rsync did not deliver it: vanished or failed).
   */
  commitData: {
    params: { readonly gfids: readonly Gfid[] };
    result: { readonly committed: number; readonly missing: readonly Gfid[]; readonly failures: readonly OpFailure[] };
  };
  /** Remove from each directory the entries the slave index does not know (normal purge). */
  purgeUnknown: {
    params: { readonly dirs: readonly Gfid[] };
    result: { readonly removed: number; readonly failures: readonly OpFailure[] };
  };
  setStime: { params: { readonly stimeMs: number }; result: null };
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
  'setStime',
  'bye',
] as const satisfies readonly MethodName[];

export interface Request<M extends MethodName = MethodName> {
  readonly id: number;
  readonly method: M;
  readonly params: Methods[M]['params'];
}

export type Response<M extends MethodName = MethodName> =
  | { readonly id: number; readonly result: Methods[M]['result'] }
  | { readonly id: number; readonly error: WireError };
