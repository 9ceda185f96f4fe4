// PathClaims: box packing. Every item of one staging box lands at its path in one folder, so
// two items may share neither a path nor a prefix (a file `q` and a file `q/r`).

const BYTE_SLASH = 0x2f;

/**
 * The paths one staging box holds: every item lands at its path in one folder, so two items
 * may share neither a path nor a prefix (a file `q` and a file `q/r`).
 */
export class PathClaims {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();

  /** Claims `path` for one item; false (and nothing claimed) when it collides with a claimed one. */
  claim(path: Buffer): boolean {
    const key = path.toString('latin1'); // one char per byte: a faithful key for any bytes
    if (this.files.has(key) || this.dirs.has(key)) return false;
    const ancestors: string[] = [];
    for (let i = 0; i < path.length; i++) {
      if (path[i] !== BYTE_SLASH) continue;
      const dir = key.slice(0, i);
      if (this.files.has(dir)) return false;
      ancestors.push(dir);
    }
    this.files.add(key);
    for (const dir of ancestors) this.dirs.add(dir);
    return true;
  }
}
