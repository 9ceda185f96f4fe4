// Clock anchor: the wall clock read together with the time since boot, so that a later reading
// can tell whether the wall clock stepped between the two. Why: a restarted recorder looks again
// only at names whose ctime moved since its recorded-up-to time (Recorder.reconcile), and ctimes
// are wall-clock times; that is sound only if the wall clock ran on evenly since then. A reboot
// (another boot id) or a step of the wall clock sends the start to a whole reconcile instead. A
// suspend does not: the time since boot (CLOCK_BOOTTIME) counts it, as the wall clock does.

import fs from 'node:fs';

export interface ClockAnchor {
  /** /proc/sys/kernel/random/boot_id: the same while the machine has not rebooted. */
  readonly bootId: string;
  /** /proc/uptime, ms: CLOCK_BOOTTIME, which no one sets and which counts a suspend. */
  readonly uptimeMs: number;
  /** Date.now() read right after it. */
  readonly wallMs: number;
}

/** How far the wall clock may drift from the time since boot before it counts as stepped (NTP slews far less). */
export const CLOCK_STEP_MS = 2000;

let bootId: string | undefined;

/** The clocks now; undefined where /proc does not say (not Linux). */
export function readAnchor(): ClockAnchor | undefined {
  try {
    bootId ??= fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const uptimeMs = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
    if (bootId === '' || !Number.isFinite(uptimeMs)) return undefined;
    return { bootId, uptimeMs, wallMs: Date.now() };
  } catch {
    return undefined;
  }
}

export function encodeAnchor(a: ClockAnchor): string {
  return JSON.stringify(a);
}

/** The anchor in `text`; undefined when there is none or it is not one (an older georep, a torn value). */
export function decodeAnchor(text: string | undefined): ClockAnchor | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<ClockAnchor> | null;
    if (typeof v?.bootId !== 'string' || typeof v.uptimeMs !== 'number' || typeof v.wallMs !== 'number')
      return undefined;
    return { bootId: v.bootId, uptimeMs: v.uptimeMs, wallMs: v.wallMs };
  } catch {
    return undefined;
  }
}

/**
 * Whether the wall clock ran as the time since boot did from `then` to `now`: same boot, and the
 * two clocks moved by the same amount within CLOCK_STEP_MS (uptime has 10 ms steps).
 */
export function clockRanEvenly(then: ClockAnchor, now: ClockAnchor): boolean {
  if (then.bootId !== now.bootId) return false;
  const wall = now.wallMs - then.wallMs;
  const boot = now.uptimeMs - then.uptimeMs;
  return boot >= 0 && Math.abs(wall - boot) <= CLOCK_STEP_MS;
}
