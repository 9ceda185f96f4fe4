// WriteOrigins: which object a write reported at a name went to, when that name changed objects
// around the write before any look (ln a n; append n; rm n). The look then finds nothing at n, or
// another object, and the index never knew n: without this, a's new content was never recorded
// (the sibling of seed 853). Invariant: a write is either placed on an inode (looked at), or on
// the object a look examines anyway, or reported blind (the caller reconciles the whole tree);
// never dropped.
//
// Where the inode comes from: a source that lstats at entry events (InotifySource) says what it
// found (ChangeHint.found). Its callback runs after the event, so the lstat may show a later state
// of the name. Which state it showed is worked out from the order of events: the name's states
// after its entry events e0, e1, … are s0, s1, …; an lstat made for e_j shows some s_p with p ≥ j,
// later callbacks show states no earlier, two different findings are different states, and an
// lstat made before the source's marker (sync) was written shows no state past the last entry
// event delivered before that marker. So p ≤ pmax_j, computed backwards; when pmax_j = j the
// finding is s_j itself, the object the write after e_j went to.

import type { ChangeHint, SeenEntry } from '../watch/change-source.js';
import { lstatIfAny } from '../entry-stat.js';

interface EntryEvent {
  /** What the source's lstat found (undefined: the source did not look). */
  readonly found: SeenEntry | null | undefined;
  /**
   * The last state (0-based index among the name's entry events) the lstat can have shown,
   * once a marker written after it has come back; undefined until then.
   */
  bound: number | undefined;
}

interface NameLog {
  readonly events: EntryEvent[];
  /** For each write still to place: how many of the name's entry events came before it. */
  writes: number[];
  /** Carried over from the last look once already: decided now, whatever is known. */
  readonly carried: boolean;
}

/** What the writes of one look come to (see WriteOrigins.decide). */
export interface OriginVerdicts {
  /** Inodes of files a write went to through a name no look will find them at: look at them. */
  readonly inodes: ReadonlySet<bigint>;
  /** Paths (as hinted) whose write went to an object nothing identifies: reconcile the whole tree. */
  readonly blind: readonly string[];
  /** Paths whose write is placed on an inode (so a move onto them needs no reconcile, see TreeDiff.unseenWrites). */
  readonly placed: ReadonlySet<string>;
  /** Writes that the next marker may place: vouch for nothing past them this time. */
  readonly undecided: number;
}

export class WriteOrigins {
  /** Names whose writes wait for the next marker (see OriginVerdicts.undecided). */
  private carried = new Map<string, NameLog>();

  /**
   * Places the writes among `hints` (one look's, in delivery order) whose name changed objects
   * since the last look. `marked`: how many of the hints were received before the source's marker
   * was written; `markerBack`: how many before it came back (the rest came after). A source
   * without a marker passes 0 for both: nothing it found is then placed.
   */
  decide(hints: readonly ChangeHint[], marked: number, markerBack: number): OriginVerdicts {
    const logs = new Map<string, NameLog>();
    // Events carried over were received before this marker was written: it bounds them.
    const carriedIn = new Set<string>();
    for (const [p, log] of this.carried) {
      logs.set(p, { events: [...log.events], writes: [...log.writes], carried: true });
      carriedIn.add(p);
    }
    this.carried = new Map();
    const back = new Map<string, number>(); // entry events per name delivered before the marker came back
    for (const p of carriedIn) back.set(p, logs.get(p)?.events.length ?? 0);
    const toBound: { readonly e: EntryEvent; readonly path: string }[] = [];
    hints.forEach((h, i) => {
      let log = logs.get(h.path);
      if (h.kind === 'update') {
        // A write with no entry event before it went to what the index or the look knows.
        if (log !== undefined && log.events.length > 0) log.writes.push(log.events.length);
        return;
      }
      if (log === undefined) {
        log = { events: [], writes: [], carried: false };
        logs.set(h.path, log);
      }
      const e: EntryEvent = { found: h.found, bound: undefined };
      log.events.push(e);
      if (i < markerBack) back.set(h.path, log.events.length);
      if (i < marked) toBound.push({ e, path: h.path });
    });
    for (const p of carriedIn) {
      for (const e of logs.get(p)?.events ?? []) if (e.bound === undefined) toBound.push({ e, path: p });
    }
    for (const { e, path } of toBound) {
      const n = back.get(path);
      if (n !== undefined && n > 0) e.bound = n - 1;
    }

    const inodes = new Set<bigint>();
    const blind: string[] = [];
    const placed = new Set<string>();
    let undecided = 0;
    for (const [p, log] of logs) {
      if (log.writes.length === 0) continue;
      const pmax = latestStates(log.events);
      const later: number[] = [];
      for (const before of log.writes) {
        const j = before - 1;
        const found = log.events[j]?.found;
        const known = found !== undefined && found !== null && pmax[j] === j ? found : undefined;
        // A directory, symlink or device: no write through it reaches a file's content.
        if (known !== undefined && !known.file) continue;
        if (before === log.events.length) {
          // Nothing came after the write: the object at the name now is what it went to, and the
          // look examines it (as written). A known inode elsewhere now is looked at too.
          const now = lstatIfAny(Buffer.from(p));
          if (now !== undefined) {
            if (known !== undefined && known.ino !== now.ino) inodes.add(known.ino);
            continue;
          }
        }
        if (known !== undefined) {
          inodes.add(known.ino);
          placed.add(p);
        } else if (!log.carried && pmax[j] === Infinity && log.events.every((e) => e.found !== undefined)) {
          later.push(before);
        } else {
          blind.push(p);
        }
      }
      if (later.length > 0) {
        undecided += later.length;
        this.carried.set(p, { events: log.events, writes: later, carried: true });
      }
    }
    return { inodes, blind, placed, undecided };
  }
}

/** For each entry event, the last state its lstat can have shown (Infinity: not bounded yet). */
function latestStates(events: readonly EntryEvent[]): number[] {
  const out = new Array<number>(events.length);
  let next = Infinity;
  for (let j = events.length - 1; j >= 0; j--) {
    const e = events[j] as EntryEvent;
    const after = events[j + 1];
    // Callbacks run in order, so no later state than the next event's lstat showed; one other
    // than it showed is an earlier state. A source that did not look bounds nothing.
    let cap = Infinity;
    if (after?.found !== undefined) cap = sameFinding(e.found, after.found) ? next : next - 1;
    next = Math.min(e.bound ?? Infinity, cap);
    out[j] = next;
  }
  return out;
}

function sameFinding(a: SeenEntry | null | undefined, b: SeenEntry | null): boolean {
  if (a === undefined) return true; // no finding: no claim that the states differ
  if (a === null || b === null) return a === b;
  // The same inode is the same object for what a write reaches (a freed inode reused by a new
  // file had one name, as the new one has).
  return a.ino === b.ino;
}
