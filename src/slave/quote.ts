// show: how a value a peer sent is quoted in an error message. Invariant: short, and never a
// walk of the value (a reply must not echo a whole request, nor recurse as deep as it nests).

/** A value quoted in an error message, cut short: a reply must never echo a whole request. */
export function show(v: unknown): string {
  // Only scalars are spelled out: stringifying a value a peer sent may recurse as deep as it
  // nests (a hostile line of 100,000 '[' overflowed the stack).
  const s =
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null
      ? JSON.stringify(v)
      : Array.isArray(v)
        ? 'an array'
        : typeof v;
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
