// Sampling for verify --sample FRACTION: whether an entry is examined is decided by a seeded
// hash of its path, so a resumed verify (same seed, kept with its position) examines exactly
// the entries the interrupted one would have.

/** FNV-1a (32 bits) of the seed's and the path's bytes. */
function fnv1a(seed: number, bytes: Buffer): number {
  let h = 0x811c9dc5 ^ seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche: FNV's low bits follow the last bytes too closely for a threshold test.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export class Sampler {
  private readonly threshold: number;

  constructor(
    readonly fraction: number,
    readonly seed: number,
  ) {
    this.threshold = fraction * 2 ** 32;
  }

  /** Whether the entry at `rel` (bytes relative to the root) is examined. */
  includes(rel: Buffer): boolean {
    return this.fraction >= 1 || fnv1a(this.seed, rel) < this.threshold;
  }
}
