// A throwaway world for syncer tests: real temp dirs for the master tree, the farm of gfid
// symlinks, the slave tree and its staging dir. Removed by cleanup() (call it in afterEach).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asGfid } from '../../../src/changelog/index.js';
import type { Gfid } from '../../../src/changelog/index.js';

export interface World {
  readonly base: string;
  readonly master: string;
  readonly farm: string;
  readonly slave: string;
  readonly staging: string;
  /** Writes a master file and links it into the farm under `gfid`. */
  file(gfid: Gfid, rel: string, content: string | Buffer): string;
  /** Farm link only (its target may not exist: a file deleted since the farm was built). */
  link(gfid: Gfid, target: string): void;
  cleanup(): void;
}

export function makeWorld(): World {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-syncer-'));
  const dirs = ['master', 'farm', 'slave', 'staging'].map((d) => path.join(base, d));
  for (const d of dirs) fs.mkdirSync(d);
  const [master = '', farm = '', slave = '', staging = ''] = dirs;
  const link = (gfid: Gfid, target: string): void => fs.symlinkSync(target, path.join(farm, gfid));
  return {
    base,
    master,
    farm,
    slave,
    staging,
    file(gfid, rel, content) {
      const p = path.join(master, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
      link(gfid, p);
      return p;
    },
    link,
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/** A valid gfid numbered n (tests need many distinct ones). */
export function gfidOf(n: number): Gfid {
  const g = asGfid(`00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
  if (g === undefined) throw new Error(`bad test gfid ${n}`);
  return g;
}
