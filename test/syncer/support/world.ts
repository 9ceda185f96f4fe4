// A throwaway world for syncer tests: real temp dirs for the master tree, the slave tree and
// its staging dir. Removed by cleanup() (call it in afterEach).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asGfid } from '../../../src/changelog/index.js';
import type { Gfid } from '../../../src/changelog/index.js';
import type { DataItem } from '../../../src/syncer/job.js';

export interface World {
  readonly base: string;
  readonly master: string;
  readonly slave: string;
  readonly staging: string;
  /** Writes a master file at `rel` (raw bytes allowed), making its parents; returns its path. */
  file(rel: string | Buffer, content: string | Buffer): Buffer;
  /** A data item: `gfid` at master path `rel`. */
  item(gfid: Gfid, rel: string | Buffer, size?: number): DataItem;
  /**
   * What the agent's stageData does before an engine runs: a fresh box folder in staging with
   * each path's parent folders (engines run with --no-implied-dirs). Returns the box folder.
   */
  box(name: string, rels: readonly (string | Buffer)[]): string;
  cleanup(): void;
}

const bytes = (rel: string | Buffer): Buffer => (Buffer.isBuffer(rel) ? rel : Buffer.from(rel));
/** `dir/rel` as bytes: node:path cannot join a name that is not UTF-8. */
export const under = (dir: string, rel: string | Buffer): Buffer => Buffer.concat([Buffer.from(dir + '/'), bytes(rel)]);

function makeParents(abs: Buffer): void {
  fs.mkdirSync(abs.subarray(0, abs.lastIndexOf(0x2f)), { recursive: true });
}

export function makeWorld(): World {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-syncer-'));
  const dirs = ['master', 'slave', 'staging'].map((d) => path.join(base, d));
  for (const d of dirs) fs.mkdirSync(d);
  const [master = '', slave = '', staging = ''] = dirs;
  return {
    base,
    master,
    slave,
    staging,
    file(rel, content) {
      const abs = under(master, rel);
      makeParents(abs);
      fs.writeFileSync(abs, content);
      return abs;
    },
    item: (gfid, rel, size) => {
      // As the master plans it: the file's size and mtime now (placeholders for a missing file).
      const st = fs.lstatSync(under(master, rel), { bigint: true, throwIfNoEntry: false });
      return {
        gfid,
        path: bytes(rel),
        size: size ?? Number(st?.size ?? 10n),
        mtimeNs: st?.mtimeNs ?? 0n,
        ctimeNs: st?.ctimeNs ?? 0n,
        ino: st?.ino ?? 0n,
        sparse: st !== undefined && st.blocks * 512n < st.size,
      };
    },
    box(name, rels) {
      const dir = path.join(staging, name);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      for (const rel of rels) makeParents(under(dir, rel));
      return dir;
    },
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/** A valid gfid numbered n (tests need many distinct ones). */
export function gfidOf(n: number): Gfid {
  const g = asGfid(`00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
  if (g === undefined) throw new Error(`bad test gfid ${n}`);
  return g;
}
