// DirPaths: path bytes of a gfid, found by walking names up to the root, with a cache of
// directory paths. Invariant: the owner clears the cache whenever any directory's name
// changes (rename, unlink, removeTree, rollback), so a cached path is never stale.

import { GeorepError } from '../errors.js';
import { ROOT_GFID } from '../changelog/index.js';
import { unpooled } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';

/** One name of a gfid (the first, in a fixed order) and whether the gfid is a directory. */
export interface ParentLink {
  readonly pargfid: string;
  readonly name: Buffer;
  readonly type: string;
}

const SLASH = Buffer.from('/');
/** Deeper than any real tree (a 4096-byte path holds at most 2048 levels): beyond it, a cycle. */
const MAX_DEPTH = 4096;
/** Directory paths kept; past this the cache starts over rather than growing without bound. */
const MAX_CACHED_DIRS = 100_000;

export class DirPaths {
  private readonly cache = new Map<Gfid, Buffer>();

  constructor(private readonly firstName: (gfid: Gfid) => ParentLink | undefined) {}

  clear(): void {
    this.cache.clear();
  }

  /** Path of `gfid` relative to the root ('' for the root); undefined if a link is missing. */
  resolve(gfid: Gfid): Buffer | undefined {
    if (gfid === ROOT_GFID) return Buffer.alloc(0);
    const chain: { readonly gfid: Gfid; readonly name: Buffer; readonly dir: boolean }[] = [];
    let base = this.cache.get(gfid);
    let cur = gfid;
    while (base === undefined) {
      const row = this.firstName(cur);
      if (row === undefined) return undefined;
      chain.push({ gfid: cur, name: row.name, dir: row.type === 'dir' });
      cur = row.pargfid as Gfid;
      base = cur === ROOT_GFID ? Buffer.alloc(0) : this.cache.get(cur);
      if (chain.length > MAX_DEPTH) throw cycle(gfid);
    }
    let p = base;
    for (const link of chain.reverse()) {
      p = p.length === 0 ? link.name : Buffer.concat([p, SLASH, link.name]);
      if (link.dir) {
        p = unpooled(p); // kept: not a view pinning a shared pool slab
        if (this.cache.size >= MAX_CACHED_DIRS) this.cache.clear();
        this.cache.set(link.gfid, p);
      }
    }
    // A copy: the caller may write into it, and cached buffers must stay as they are.
    return Buffer.from(p);
  }

  /** True when directory `dir` is `ancestor` or lies below it. */
  isWithin(dir: Gfid, ancestor: Gfid): boolean {
    let cur = dir;
    for (let depth = 0; cur !== ROOT_GFID; depth++) {
      if (cur === ancestor) return true;
      const row = this.firstName(cur);
      if (row === undefined) return false;
      if (depth > MAX_DEPTH) throw cycle(dir);
      cur = row.pargfid as Gfid;
    }
    return false;
  }
}

function cycle(gfid: Gfid): GeorepError {
  return new GeorepError('STATE_CORRUPT', `gfid index: the parents of ${gfid} form a cycle`, { path: gfid });
}
