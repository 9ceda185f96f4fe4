// Benchmark settings from the environment (BENCH_*): whole numbers and byte counts, with a
// clear error for a value that is neither, so a typo never silently runs the default.

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** A byte count: plain, or with a binary suffix (K, M, G, T; an optional "iB"/"B" is accepted). */
export function envBytes(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(raw.trim());
  if (m === null) throw new Error(`${name} must be a byte count such as 1073741824 or 1G, got ${JSON.stringify(raw)}`);
  const power = ['', 'K', 'M', 'G', 'T'].indexOf((m[2] ?? '').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
