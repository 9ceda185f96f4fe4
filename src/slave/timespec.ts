// Timespec conversions: a time in nanoseconds (what lstat gives with bigint: true) to the
// wire's { sec, nsec } and back. Invariant: nsec is always in [0, 1e9), also before 1970
// (floor division), so both ends compare times to the nanosecond.

import type { Timespec } from './protocol.js';

const NS = 1_000_000_000n;

/** A time in nanoseconds as a Timespec. */
export function timespecOf(ns: bigint): Timespec {
  let sec = ns / NS;
  if (ns < 0n && sec * NS !== ns) sec -= 1n; // BigInt division truncates toward zero
  return { sec: Number(sec), nsec: Number(ns - sec * NS) };
}

/** A Timespec as nanoseconds. */
export const nsOf = (t: Timespec): bigint => BigInt(t.sec) * NS + BigInt(t.nsec);
