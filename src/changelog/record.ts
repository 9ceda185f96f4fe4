// Change: one parsed changelog record (GlusterFS format, DESIGN.md). Records name entries by
// gfid and `pargfid/basename`; names are raw bytes (Buffer) so any name round-trips exactly.

declare const gfidBrand: unique symbol;
/** A UUID naming one file, directory or symlink. Only the parser and the gfid index mint these. */
export type Gfid = string & { readonly [gfidBrand]: true };

/** The root directory's gfid, fixed as in GlusterFS. */
export const ROOT_GFID = '00000000-0000-0000-0000-000000000001' as Gfid;

const GFID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isGfid(s: string): s is Gfid {
  return GFID_RE.test(s);
}

/** Validates and brands a gfid string; returns undefined if it is not a lowercase UUID. */
export function asGfid(s: string): Gfid | undefined {
  return isGfid(s) ? s : undefined;
}

/** `pargfid/basename`: where an entry lives. `name` is the raw on-disk bytes. */
export interface EntryName {
  readonly pargfid: Gfid;
  readonly name: Buffer;
}

export const ENTRY_FOPS = ['CREATE', 'MKDIR', 'MKNOD', 'LINK', 'SYMLINK', 'RENAME', 'UNLINK', 'RMDIR'] as const;
export type EntryFop = (typeof ENTRY_FOPS)[number];
export const META_FOPS = ['SETATTR', 'SETXATTR'] as const;
export type MetaFop = (typeof META_FOPS)[number];

/** Entry record. CREATE/MKDIR/MKNOD carry mode/uid/gid; RENAME carries `to`. */
export type EntryChange =
  | {
      readonly kind: 'E';
      readonly gfid: Gfid;
      readonly fop: 'CREATE' | 'MKDIR' | 'MKNOD';
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
      readonly entry: EntryName;
    }
  | {
      readonly kind: 'E';
      readonly gfid: Gfid;
      readonly fop: 'LINK' | 'SYMLINK' | 'UNLINK' | 'RMDIR';
      readonly entry: EntryName;
    }
  | {
      readonly kind: 'E';
      readonly gfid: Gfid;
      readonly fop: 'RENAME';
      readonly entry: EntryName;
      readonly to: EntryName;
      /**
       * Only on a RENAME onto itself, which a resync from current state sends for a hard-linked
       * file: the gfid's other names on the master. The slave keeps these and `to`, and drops
       * any other name it has of the gfid (one whose move failed and was synced again).
       */
      readonly alsoNamed?: readonly EntryName[];
    };

export type Change =
  | EntryChange
  | { readonly kind: 'D'; readonly gfid: Gfid } // proof that content changed
  | { readonly kind: 'M'; readonly gfid: Gfid; readonly fop: MetaFop };

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
