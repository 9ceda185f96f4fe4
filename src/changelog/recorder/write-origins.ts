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
  /** How many of `events` came in the last look's hints (see WriteOrigins.recent). */
  readonly earlier: number;
  /** For each write to place: how many of the name's entry events came before it. */
  readonly writes: number[];
}

/** What the writes of one look come to (see WriteOrigins.decide). */
export interface OriginVerdicts {
  /** Inodes of files a write went to through a name no look will find them at: look at them. */
  readonly inodes: ReadonlySet<bigint>;
  /** Paths (as hinted) whose write went to an object nothing identifies: reconcile the whole tree. */
  readonly blind: readonly string[];
  /** Paths whose write is placed on an inode (so a move onto them needs no reconcile, see TreeDiff.unseenWrites). */
  readonly placed: ReadonlySet<string>;
}

const LOSSY = '\uFFFD';

export class WriteOrigins {
  /** Names whose writes only a marker written after their lstats can place (see settle). */
  private pending = new Map<string, NameLog>();
  /** The entry events of the last look's hints, by name (see decide). */
  private recent = new Map<string, EntryEvent[]>();

  /** Whether some writes wait for another marker (settle) before this look may vouch. */
  get unsettled(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Places the writes among `hints` (one look's, in delivery order) whose name changed objects
   * since the last look. `marked`: how many of the hints were received before the source's marker
   * was written; `markerBack`: how many before it came back (the rest came after). A source
   * without a marker passes 0 for both. Writes whose lstats ran after the marker was written
   * wait (unsettled) for settle.
   */
  decide(hints: readonly ChangeHint[], marked: number, markerBack: number): OriginVerdicts {
    const out = { inodes: new Set<bigint>(), blind: [] as string[], placed: new Set<string>() };
    // Left unsettled by a look that did not finish (a stop): nothing bounds them any more.
    for (const [p, log] of this.pending) this.judge(p, log, true, out);
    this.pending = new Map();
    const logs = new Map<string, NameLog>();
    const back = new Map<string, number>(); // entry events per name delivered before the marker came back
    const toBound: { readonly e: EntryEvent; readonly path: string }[] = [];
    const recent = this.recent;
    hints.forEach((h, i) => {
      let log = logs.get(h.path);
      if (h.kind === 'update') {
        const last = log === undefined ? recent.get(h.path) : undefined;
        if (last !== undefined) {
          // The name's entry events came in the last look's hints, this write after its marker:
          // the write and the name's next change may both have come before that look's lstat,
          // which then found neither the object nor a name for it.
          log = { events: [...last], earlier: last.length, writes: [] };
          logs.set(h.path, log);
          back.set(h.path, last.length); // received before this marker was written
          for (const e of last) if (e.bound === undefined) toBound.push({ e, path: h.path });
        }
        // A write with no entry event before it went to what the index or the look knows.
        if (log !== undefined) log.writes.push(log.events.length);
        return;
      }
      if (log === undefined) {
        log = { events: [], earlier: 0, writes: [] };
        logs.set(h.path, log);
      }
      const e: EntryEvent = { found: h.found, bound: undefined };
      log.events.push(e);
      if (i < markerBack) back.set(h.path, log.events.length);
      if (i < marked) toBound.push({ e, path: h.path });
    });
    for (const { e, path } of toBound) e.bound = (back.get(path) as number) - 1; // set above: i < marked <= markerBack
    for (const [p, log] of logs) if (log.writes.length > 0) this.judge(p, log, false, out);
    // This look's own entry events are kept for one look, where a source found something at
    // each (nothing else can be placed, and a reconcile for every temp file that spans two
    // looks would cost too much). Copies, their states counted from the first of them: settle
    // may still bound the originals, counted from the first of the log.
    this.recent = new Map();
    for (const [p, log] of logs) {
      const own = log.events.slice(log.earlier);
      if (own.length === 0 || own.some((e) => e.found === undefined)) continue;
      const shift = (b: number | undefined): number | undefined => (b === undefined ? undefined : b - log.earlier);
      this.recent.set(
        p,
        own.map((e) => ({ found: e.found, bound: shift(e.bound) })),
      );
    }
    return out;
  }

  /**
   * Places the unsettled writes once another marker, written after their lstats, has come back:
   * `since` are the hints received since that marker was written (their entry events at those
   * names count among the states the lstats can have shown). Nothing is left unsettled.
   */
  settle(since: readonly ChangeHint[]): OriginVerdicts {
    const out = { inodes: new Set<bigint>(), blind: [] as string[], placed: new Set<string>() };
    const more = new Map<string, number>();
    for (const h of since) {
      if (h.kind !== 'update' && this.pending.has(h.path)) more.set(h.path, (more.get(h.path) ?? 0) + 1);
    }
    for (const [p, log] of this.pending) {
      const last = log.events.length + (more.get(p) ?? 0) - 1;
      for (const e of log.events) e.bound ??= last;
      this.judge(p, log, true, out);
    }
    this.pending = new Map();
    return out;
  }

  /**
   * Each write of one name: left to the look, placed on an inode, reported blind, or (unless
   * `final`) kept for settle when a later marker may place it.
   */
  private judge(
    p: string,
    log: NameLog,
    final: boolean,
    out: { inodes: Set<bigint>; blind: string[]; placed: Set<string> },
  ): void {
    const pmax = latestStates(log.events);
    const wait: number[] = [];
    for (const before of log.writes) {
      if (before === 0) continue; // no entry event before it: the look examines what it went to
      const j = before - 1;
      const found = log.events[j]?.found;
      const known = found !== undefined && found !== null && pmax[j] === j && !p.includes(LOSSY) ? found : undefined;
      // A directory, symlink or device: no write through it reaches a file's content.
      if (known !== undefined && !known.file) continue;
      if (before === log.events.length && !final) {
        // Nothing came after the write: it went to the object at the name now, which the look
        // examines (as written). One known with other names is looked at there too (a
        // replacement since the marker came back is for the next look's hints, not this one's).
        if (known !== undefined) {
          if (known.nlink > 1n) out.inodes.add(known.ino);
          continue;
        }
        // A lossy path names no bytes to lstat: its look is trusted as before.
        if (p.includes(LOSSY) || lstatIfAny(Buffer.from(p)) !== undefined) continue;
      }
      if (known !== undefined) {
        out.inodes.add(known.ino);
        out.placed.add(p);
      } else if (!final && pmax[j] === Infinity && log.events.every((e) => e.found !== undefined)) {
        wait.push(before);
      } else {
        out.blind.push(p);
      }
    }
    if (wait.length > 0) this.pending.set(p, { events: log.events, earlier: log.earlier, writes: wait });
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
