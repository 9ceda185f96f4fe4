// The slave side of a verify walk: directory listings and file digests asked of the slave agent
// (listDir, hashFiles), a directory at a time. Listings of the next few directories are asked
// ahead (prefetch), so the agent lists while the master compares; memory holds at most those.

import { displayPath } from '../changelog/index.js';
import { GeorepError } from '../errors.js';
import type { SlaveCaller } from '../slave/client.js';
import { LIMITS, unpackEntries } from '../slave/protocol.js';
import type { DirAttrs, HashResult, Methods } from '../slave/protocol.js';
import type { Listed } from './list-dir.js';
import { wireName } from './wire-entry.js';

export interface SlaveDir {
  /** False: no directory at that path on the slave (absent, or something else). */
  readonly found: boolean;
  readonly self: DirAttrs | null;
  /** Sorted by raw name bytes, as the master's listing. */
  readonly entries: readonly Listed[];
}

/** File bytes one hashFiles request may ask the agent to read: a bound on how long it runs. */
const HASH_BYTES_PER_CALL = 64 << 20;

const NOT_THERE: SlaveDir = { found: false, self: null, entries: [] };

const wirePath = (rel: Buffer): string => (rel.length === 0 ? '' : displayPath(rel));

export class SlaveDirs {
  private readonly asked = new Map<string, Promise<SlaveDir>>();

  constructor(
    private readonly caller: SlaveCaller,
    private readonly signal?: AbortSignal,
  ) {}

  /** Starts listing `rel` now, for a later take(). */
  prefetch(rel: Buffer): void {
    const key = rel.toString('latin1');
    if (this.asked.has(key)) return;
    const listing = this.list(rel);
    listing.catch(() => undefined); // reported by take(); a listing never taken (a stop) says nothing
    this.asked.set(key, listing);
  }

  /** Forgets a listing asked ahead that is not needed (the slave has no directory there); an empty one. */
  drop(rel: Buffer): Promise<SlaveDir> {
    this.asked.delete(rel.toString('latin1'));
    return Promise.resolve(NOT_THERE);
  }

  /** The listing of `rel` (asked ahead or now). */
  take(rel: Buffer): Promise<SlaveDir> {
    const key = rel.toString('latin1');
    const listing = this.asked.get(key);
    this.asked.delete(key);
    return listing ?? this.list(rel);
  }

  /** SHA-256 of the named files of `rel`, in order; requests are cut by count and by bytes. */
  async hash(rel: Buffer, files: readonly { readonly name: Buffer; readonly size: number }[]): Promise<HashResult[]> {
    const dir = wirePath(rel);
    const calls: Promise<readonly HashResult[]>[] = [];
    let names: string[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (names.length > 0)
        calls.push(this.caller.call('hashFiles', { dir, names }, this.signal).then((r) => r.hashes));
      names = [];
      bytes = 0;
    };
    for (const f of files) {
      if (names.length >= LIMITS.namesPerCall || (names.length > 0 && bytes + f.size > HASH_BYTES_PER_CALL)) flush();
      names.push(wireName(f.name));
      bytes += f.size;
    }
    flush();
    return (await Promise.all(calls)).flat();
  }

  private async list(rel: Buffer): Promise<SlaveDir> {
    const dir = wirePath(rel);
    const entries: Listed[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Methods['listDir']['result'] = await this.caller.call('listDir', { dir, after }, this.signal);
      if (!page.found) return { found: false, self: null, entries: [] };
      const got = unpackEntries(page.entries);
      // Each page is sorted (unpackEntries); across pages the merge needs the same, and an
      // agent that pages for ever, or back, must not hold this process in one directory.
      const last = entries.at(-1);
      const first = got[0];
      if (last !== undefined && first !== undefined && Buffer.compare(last.name, first.name) >= 0)
        throw badPaging(dir, 'a page does not start after the page before it');
      for (const e of got) entries.push(e);
      if (page.next === null) return { found: true, self: page.self, entries };
      const end = got.at(-1);
      if (end === undefined || wireName(end.name) !== page.next)
        throw badPaging(dir, 'a page says more follow after a name it does not end with');
      after = page.next;
    }
  }
}

function badPaging(dir: string, what: string): GeorepError {
  return new GeorepError('BAD_REQUEST', `bad reply: the slave's listing of ${dir === '' ? '.' : dir}: ${what}`);
}
