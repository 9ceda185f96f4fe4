// Farm: per-batch symlinks `<farm>/<gfid> -> <current master path>`, so rsync reads data by
// gfid (-L follows them) and a path computed earlier can never send stale content to a gfid.
// Each link points through one link to the master root (`<farm>/r`), so targets stay short:
// short symlinks live in the inode (ext4: under 60 bytes) and cost no data block.

import fs from 'node:fs';
import path from 'node:path';
import type { Gfid } from '../changelog/index.js';
import { hasErrno } from '../errors.js';
import { absPath } from './entry-stat.js';

const ROOT_LINK = 'r'; // not a gfid, so it never collides with a data link
const ROOT_LINK_BYTES = Buffer.from(ROOT_LINK);

export class Farm {
  constructor(
    readonly dir: string,
    private readonly root: Buffer,
  ) {}

  /** Creates the farm folder, dropping links a crashed run left behind. */
  prepare(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.symlinkSync(this.root, path.join(this.dir, ROOT_LINK));
  }

  link(gfid: Gfid, rel: Buffer): void {
    const at = path.join(this.dir, gfid);
    const target = absPath(ROOT_LINK_BYTES, rel);
    try {
      fs.symlinkSync(target, at);
    } catch (e) {
      if (!hasErrno(e, 'EEXIST')) throw e;
      fs.unlinkSync(at);
      fs.symlinkSync(target, at);
    }
  }

  unlink(gfid: Gfid): void {
    try {
      fs.unlinkSync(path.join(this.dir, gfid));
    } catch (e) {
      if (!hasErrno(e, 'ENOENT')) throw e;
    }
  }
}
