// Recorder: watches the master and writes GlusterFS-format CHANGELOG.<ts> files, giving every
// entry a gfid. Invariants: a record and the index change it describes commit in one SQLite
// transaction (the journal), so a crash loses neither nor splits them; a changelog is published
// whole (fsync + link) before its records leave the journal, so a crash can only repeat records,
// and every record is idempotent; whatever happened while nobody watched is found by a
// reconcile scan (at start, and after a watcher says it may have missed events).
// Why this file is long: one tick (vouch with the watcher's marker, reconcile, drain the hints,
// place their writes, roll over) shares the hint queue and the reasons not to vouch (overflow,
// blind writes); split into files, the steps would pass that state around instead of owning it.

import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { basename } from 'node:path';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { hasErrno } from '../../errors.js';
import { changelogName, parseChangelogName } from '../changelog-name.js';
import { ChangelogWriter, nameAfter } from '../writer.js';
import { absPath, displayPath } from '../rel-path.js';
import { formatRecord } from '../format.js';
import type { GfidIndex, IndexedEntry } from '../../store/index.js';
import type { MetaKey } from '../../store/index.js';
import { readStime } from '../../store/index.js';
import { ROOT_GFID } from '../record.js';
import type { Change, Gfid } from '../record.js';
import type { ChangeHint, ChangeSource } from '../watch/change-source.js';
import { HintChecks } from './hint-checks.js';
import { lstatIfAny } from '../entry-stat.js';
import { ReconcileScan, RootGoneError } from './reconcile.js';
import type { Check, DiffOptions } from './tree-diff.js';
import { TreeDiff } from './tree-diff.js';
import { clockRanEvenly, decodeAnchor, encodeAnchor, readAnchor } from './clock-anchor.js';
import type { ClockAnchor } from './clock-anchor.js';
import { WriteOrigins } from './write-origins.js';
import type { OriginVerdicts } from './write-origins.js';

/**
 * Session meta keys the recorder owns (read by the consumer API). The time concepts they hold
 * are listed, with the worker's, in store/sync-points.ts.
 */
export const RECORDER_KEYS = {
  /**
   * History start (`historyStartMs`): unix ms from which the published changelogs describe
   * every change. Unset while the index is not built yet (or after a one-shot sync dropped the
   * history): a stime older than it needs a hybrid crawl.
   */
  historyStart: 'recorder.historyStartMs',
  /**
   * Recorded-up-to (`recordedUpToMs`): unix ms before which every change the watcher reported is
   * in a published changelog; only grows. A turn that processed every published changelog moves
   * stime up to it. The on-disk key keeps its old name, `recorder.coveredMs` (session databases
   * hold it).
   */
  recordedUpTo: 'recorder.coveredMs',
  /** Unix ms of the last change recorded at or below the root (the root's xtime). */
  rootXtime: 'recorder.rootXtimeMs',
  /** The clocks when recorded-up-to last moved (clock-anchor.ts): see Recorder.startSince. */
  clockAnchor: 'recorder.clockAnchor',
  /**
   * The newest changelog name handed out. Names only grow: the worker deletes what it has
   * processed, and a reused name would sort at or before its entry-ops position
   * (store/sync-points.ts), so its entry ops would be skipped as already applied.
   */
  lastChangelog: 'recorder.lastChangelog',
  /**
   * `<pid>:<unix ms>`: the recorder process watching the master, and since when its watches are
   * all placed. A first live sync's seed copy starts only after it (master/live.ts): a file the
   * copy read before any watch could be rewritten unseen before the index scan that starts the
   * history (with size and mtime put back, nothing after would tell the copy is stale).
   */
  watching: 'recorder.watching',
} as const satisfies Record<string, MetaKey>;

/** Hints applied per transaction when a burst queued many: keeps each commit and its memory small. */
const HINTS_PER_TX = 4096;

/**
 * The least time between a reconcile (or sweep) and the sweep blind writes ask for
 * (RecorderDeps.blindGapMs, the blind-write-gap option; this default serves callers without a
 * config). A program that writes a temporary file and renames or removes it within
 * microseconds leaves the watcher's lstat nothing to find (measured: 396 of 400 such creates),
 * and such a write looks exactly like one through a passing hard link of a known file: each
 * asks for a sweep. Paced, a stream of them costs one listing of the tree per gap instead of
 * one per look; the looks in between publish but vouch for nothing, so status and checkpoints
 * wait, never lie.
 */
const BLIND_GAP_MS = 10_000;

/**
 * Slack on the ctime a blind-write sweep starts from: the kernel stamps ctime from a coarse
 * clock (a tick behind), and a small step of the wall clock must not hide a write. Generous:
 * a wider window only looks again at a few more recently changed names.
 */
const CTIME_SLACK_MS = 2000;

/** How one look is applied (TreeDiff's options, and whether its records are journalled). */
type LookOptions = DiffOptions & { readonly journal: boolean };

export interface RecorderDeps {
  /** Master root as given (absolute, real) and as bytes. */
  readonly rootPath: string;
  readonly root: Buffer;
  readonly index: GfidIndex;
  /** Where CHANGELOG files are published (exists). */
  readonly changelogDir: string;
  readonly source: ChangeSource;
  readonly clock: Clock;
  readonly log: Logger;
  /** Rollover period, ms: the longest a change waits for its changelog. */
  readonly intervalMs: number;
  /**
   * Roll over early once changes have come and then nothing for this long, ms (0: only every
   * intervalMs). A fixed one-second rollover alone cost a change 0.5 s on average; a stream
   * with no quiet moment still rolls over every intervalMs, so bursts batch as before.
   */
  readonly quietMs?: number;
  /** How long a watcher without sync() may take to report a change, ms (see watch-settle). */
  readonly settleMs: number;
  /** Reconcile scan rate, entries per second (0 = unlimited). */
  readonly crawlRate: number;
  /** A whole-tree reconcile this often, ms (0 = only at start and after an overflow). */
  readonly reconcileIntervalMs: number;
  /** The least time between a reconcile and the sweep blind writes ask for, ms (default 10 s, see BLIND_GAP_MS). */
  readonly blindGapMs?: number;
  /** Called once after the start-up scan: the recorder records (the monitor counts its restarts until then). */
  readonly onRecording?: () => void;
  /**
   * While a sweep runs, publish what it found so far this often, ms (0 or unset: only when it
   * ends). A restart's sweep lists the whole tree; its finds are spread through it, and the
   * worker can send the first of them while the sweep looks for the rest (sweep-publish-interval).
   */
  readonly sweepPublishMs?: number;
  /** Called after each rollover (tests and status). */
  readonly onRollover?: (published: string | undefined, recordedUpToMs: number) => void;
}

export class Recorder {
  private hints: ChangeHint[] = [];
  /**
   * The master root's identity (rootIdentity) when its watches were placed. Another directory
   * (or none) at its path is checked for at every tick: the watches stay on the old inode, and
   * its events, read against the new tree, recorded deletes of files that had only moved away
   * with it while the new root's files never arrived.
   */
  private rootId = '';
  /** The root was absent (or not a directory) at the last tick (checkRoot). */
  private rootAway = false;
  private overflow: string | undefined;
  /** Directories the watcher could not read, each said once (ChangeSourceHandlers.onUnreadable). */
  private readonly unreadableDirs = new Set<string>();
  /**
   * Why a write went to an object no look identified (WriteOrigins' blind writes, and
   * TreeDiff.unseenWrites): a sweep is due, paced by blindGapMs, and no look vouches until it
   * has run.
   */
  private blind: string | undefined;
  /**
   * Wall-clock ms before which no blind write of `blind` can have happened, and the clock
   * readings it comes from: the sweep that answers them looks at names whose ctime is later
   * (see sweepSince). Undefined with `blind`.
   */
  private blindSince: { readonly base: ClockAnchor | undefined; readonly sinceMs: number } | undefined;
  /**
   * The clocks (clock-anchor.ts) at the start of the last tick and the one before; undefined
   * where /proc does not say, and then no sweep is trusted.
   */
  private ticks: { prev: ClockAnchor | undefined; cur: ClockAnchor | undefined } = {
    prev: readAnchor(),
    cur: readAnchor(),
  };
  private readonly skipped = new Set<string>();
  private reconciling: ReconcileScan | undefined;
  /** Directories whose subtree must be watched afresh and re-read (see TreeDiff.structural). */
  private readonly structural = new Set<Gfid>();
  /** When the last reconcile of any kind started (blind-write sweeps are paced from it). */
  private lastReconcileMs = 0;
  /**
   * When the last whole-tree reconcile started (reconcile-interval counts from it): a sweep
   * looks only at recently changed names, and must not put off what the interval is for.
   */
  private lastWholeMs = 0;
  /** When the watcher last handed over hints, and who waits for the next ones (untilNextTick). */
  private lastHintMs = 0;
  private hinted: (() => void) | undefined;
  /** Which object each write at a name that changed objects went to (see WriteOrigins). */
  private readonly origins = new WriteOrigins();
  /** How many queued hints came before the watcher's marker was written, and before it came back (vouch). */
  private marked = 0;
  private markerBack = 0;
  /** Paths whose write WriteOrigins placed on an inode, in the drain under way. */
  private placed: ReadonlySet<string> = new Set();
  /**
   * The drain under way has writes WriteOrigins could not place on an inode (blind, or waiting
   * for settle): its looks count moved and linked files' ctime moves as writes (see
   * DiffOptions.unplacedWrites), since they record those files' new ctimes before the verdict.
   */
  private unplaced = false;

  constructor(private readonly deps: RecorderDeps) {}

  /** Entries the current reconcile scan has looked at (for status), 0 when none runs. */
  get reconcileScanned(): number {
    return this.reconciling?.entriesScanned ?? 0;
  }

  /** Watches, reconciles, then records and rolls over every interval until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { deps } = this;
    // Watch first, then scan: a change during the scan is reported and applied after it.
    await deps.source.start({
      onHints: (h) => {
        for (const x of h) this.hints.push(x);
        this.lastHintMs = deps.clock.nowMs();
        this.hinted?.();
      },
      onOverflow: (reason) => {
        this.overflow = reason;
      },
      onUnreadable: (dir, errno) => {
        if (this.unreadableDirs.has(dir)) return;
        this.unreadableDirs.add(dir);
        deps.log.warn(
          `cannot watch ${dir} (${errno}): the user georep runs as may not read it, so changes in it are not recorded; give that user read and search permission on it (the next whole-tree reconcile then watches it), or run georep as root`,
          { path: dir, errno },
        );
      },
    });
    this.rootId = rootIdentity(deps.root);
    deps.index.setMeta(RECORDER_KEYS.watching, `${process.pid}:${deps.clock.nowMs()}`);
    try {
      await this.reconcile(signal, 'start');
      deps.onRecording?.();
      while (!signal.aborted) {
        // Watcher batches already handed to this process run first (I/O callbacks come before
        // setImmediate): a change reported before the tick is then in this tick's drain.
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.ticks = { prev: this.ticks.cur, cur: readAnchor() };
        const tickMs = deps.clock.nowMs();
        const vouchedMs = await this.vouch(tickMs, signal);
        if (!this.checkRoot()) {
          // No root to read: nothing is recorded and nothing vouched for until it is back.
          await this.untilNextTick(tickMs, signal);
          continue;
        }
        if (this.overflow !== undefined) {
          const reason = this.overflow;
          this.overflow = undefined;
          deps.log.warn(`watcher may have missed changes (${reason}); reconciling the whole tree`);
          await deps.source.refresh();
          await this.reconcile(signal, 'overflow');
        } else if (deps.reconcileIntervalMs > 0 && tickMs - this.lastWholeMs >= deps.reconcileIntervalMs) {
          // Before a due sweep, which a stream of blind writes would otherwise keep first: this
          // answers them too.
          await deps.source.refresh();
          await this.reconcile(signal, 'interval');
        } else if (this.blind !== undefined && tickMs - this.lastReconcileMs >= (deps.blindGapMs ?? BLIND_GAP_MS)) {
          deps.log.info(`${this.blind}; sweeping the tree for what it reached`);
          await this.reconcile(signal, 'blind');
        }
        this.drain();
        if (this.origins.unsettled) await this.settleOrigins(signal);
        if (this.unreadableDirs.size > 0) this.checkReadableAgain();
        if (this.structural.size > 0) await this.rewatch(signal);
        // A watcher failure reported since the check above: publish, but vouch only after the
        // reconcile of the next tick (or, for a blind write, of the next tick past its gap).
        this.rollover(this.overflow === undefined && this.blind === undefined ? vouchedMs : 0);
        await this.untilNextTick(tickMs, signal);
      }
    } catch (e) {
      if (!signal.aborted) {
        await deps.source.close();
        throw e;
      }
      // A stop interrupts a sleep or a scan: finish below.
    }
    // A clean stop publishes what was recorded, so nothing waits for the next start.
    let stopMs = deps.clock.nowMs();
    try {
      stopMs = await this.vouch(stopMs);
    } finally {
      await deps.source.close();
    }
    // A root away (or another directory) at the stop: its hints would be read against what is
    // not the tree (every name a delete), and no time is vouched for; the next start's sweep
    // from the recorded-up-to time finds what changed meanwhile.
    if (rootIdentity(deps.root) !== this.rootId || this.rootAway) {
      this.dropHints();
      this.rollover(0);
      return;
    }
    this.drain();
    // The watcher is closed: no marker can place what waits for one (WriteOrigins.decide takes them blind).
    if (this.origins.unsettled) this.applyOrigins(this.origins.decide([], 0, 0));
    // Events the watcher may have missed are for the next start's reconcile: no claim past them.
    this.rollover(this.overflow === undefined && this.blind === undefined ? stopMs : 0);
  }

  /**
   * Whether the master root can be read this tick. None at its path (moved away, unmounted, a
   * symlink now): the hints go, nothing is recorded or vouched for, and the recorder waits; read
   * then, an absent root made every name a delete, and its return a new tree under new gfids.
   * Back, or another directory there (replaced, remounted): the hints came from watches on what
   * stood there, so they go, and the tree is watched afresh and reconciled whole (the overflow
   * path). What a new root lacks is then deleted as usual: the worker's mass-delete brake holds
   * such deletes until the operator releases them.
   */
  /**
   * Runs a scan (as `reconciling`, for status, unless `tracked` is false); false when it met no
   * root (RootGoneError), which is then as checkRoot's absent one, until the root is back.
   */
  private async runScan(scan: ReconcileScan, signal: AbortSignal, tracked = true): Promise<boolean> {
    if (tracked) this.reconciling = scan;
    try {
      await scan.run(signal);
      return true;
    } catch (e) {
      if (!(e instanceof RootGoneError)) throw e;
      this.deps.log.warn(e.message);
      this.rootAway = true;
      this.dropHints();
      return false;
    } finally {
      if (tracked) this.reconciling = undefined;
    }
  }

  /** Drops the hints not drained yet, with the marker's counts of them (vouch, drain). */
  private dropHints(): void {
    this.hints = [];
    this.marked = 0;
    this.markerBack = 0;
  }

  private checkRoot(): boolean {
    const id = rootIdentity(this.deps.root);
    if (id === this.rootId && !this.rootAway) return true;
    this.dropHints();
    if (id === 'absent' || id === 'not a directory') {
      if (!this.rootAway)
        this.deps.log.warn(
          `the master root ${this.deps.rootPath} is ${id === 'absent' ? 'gone' : 'not a directory'}: nothing is recorded until it is back`,
        );
      this.rootAway = true;
      return false;
    }
    this.overflow =
      id === this.rootId
        ? `the master root ${this.deps.rootPath} is back`
        : `the master root ${this.deps.rootPath} is another directory now (${id})`;
    this.rootId = id;
    this.rootAway = false;
    return true;
  }

  /**
   * Waits until the next rollover is due: intervalMs after the last tick, or earlier once hints
   * arrived and a quiet moment (quietMs without one) followed, but never sooner than quietMs
   * after the last tick, so a trickle of changes cannot turn into a storm of tiny changelogs.
   */
  private async untilNextTick(tickMs: number, signal: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.deps;
    const quietMs = this.deps.quietMs ?? 0;
    const dueMs = tickMs + intervalMs;
    for (;;) {
      const now = clock.nowMs();
      if (now >= dueMs) return;
      const early = this.hints.length > 0 && quietMs > 0 ? Math.max(this.lastHintMs, tickMs) + quietMs : dueMs;
      if (now >= early) return;
      const wake = new AbortController();
      const hinted = new Promise<void>((resolve) => {
        this.hinted = resolve;
      });
      // Settles either way: a sleep cut short by `wake` is no error, one cut by `signal` is below.
      const slept = clock
        .sleep(Math.min(early, dueMs) - now, AbortSignal.any([signal, wake.signal]))
        .catch(() => undefined);
      try {
        await Promise.race([slept, hinted]);
      } finally {
        wake.abort();
        this.hinted = undefined;
      }
      signal.throwIfAborted();
    }
  }

  /**
   * The time this tick may vouch for: with a source that can prove delivery (sync), `tickMs`
   * itself once every change made before it has been handed over; otherwise `tickMs` less the
   * time the watcher may take to report (watch-settle). If sync finds events were dropped it
   * reports an overflow, and the reconcile that follows is what makes the claim true.
   */
  private async vouch(tickMs: number, signal?: AbortSignal): Promise<number> {
    const { source, settleMs } = this.deps;
    if (source.sync === undefined) return tickMs - settleMs;
    // sync writes its marker before it yields: hints queued now had their lstat before it.
    this.marked = this.hints.length;
    this.markerBack = this.hints.length;
    await source.sync(signal);
    this.markerBack = this.hints.length;
    return tickMs;
  }

  /** Applies every queued hint, a transaction per chunk. */
  drain(): void {
    const { deps } = this;
    const origins = this.origins.decide(this.hints, this.marked, this.markerBack);
    this.marked = 0;
    this.markerBack = 0;
    this.placed = origins.placed;
    this.unplaced = origins.blind.length > 0 || this.origins.unsettled;
    try {
      while (this.hints.length > 0) {
        const chunk = this.hints.splice(0, HINTS_PER_TX);
        const checks = new HintChecks(deps.rootPath, deps.root, deps.index);
        for (const h of chunk) checks.add(h.path, h.kind === 'update');
        // The files placed writes went to count as written where the looks move or link them.
        const opts = { expandNewDirs: true, deferVanished: false, journal: true };
        this.applyChecks(checks.take(), opts, origins.inodes);
      }
      this.applyOrigins(origins);
    } finally {
      this.placed = new Set();
      this.unplaced = false;
    }
  }

  /**
   * Writes whose name changed objects while the watcher's lstats ran after this tick's marker
   * was written: a second marker bounds what those lstats can have shown, so they are placed
   * before this tick vouches (hints that come meanwhile are the next tick's).
   */
  private async settleOrigins(signal: AbortSignal): Promise<void> {
    const { source } = this.deps;
    if (source.sync === undefined) {
      this.applyOrigins(this.origins.decide([], 0, 0)); // nothing can bound them: blind
      return;
    }
    const from = this.hints.length;
    await source.sync(signal);
    this.applyOrigins(this.origins.settle(this.hints.slice(from)));
  }

  /**
   * After the hints' looks: the files writes went to through names gone since are looked at; a
   * write nothing places asks for a sweep (see blind).
   */
  private applyOrigins(origins: OriginVerdicts): void {
    if (origins.inodes.size > 0) {
      this.applyChecks([], { expandNewDirs: true, deferVanished: false, journal: true }, origins.inodes);
    }
    const blind = origins.blind[0];
    if (blind !== undefined)
      this.markBlind(`a write at ${blind} went to an object that left the name before any look saw which`);
  }

  /**
   * Publishes the journal as one CHANGELOG file (if it holds records) and moves the
   * recorded-up-to time to `recordedUpToMs` (never back).
   */
  rollover(recordedUpToMs: number): string | undefined {
    const { index, changelogDir, clock } = this.deps;
    const { lines, lastSeq } = index.journalRead();
    let published: string | undefined;
    if (lines.length > 0) {
      const after = parseChangelogName(index.getMeta(RECORDER_KEYS.lastChangelog) ?? '');
      const name = nameAfter('CHANGELOG', Math.floor(clock.nowMs() / 1000), after);
      // Reserved before the file exists: a crash in between leaves a gap, never a reused name.
      index.setMeta(RECORDER_KEYS.lastChangelog, changelogName(name.prefix, name.ts, name.seq));
      const writer = ChangelogWriter.open(changelogDir, 'CHANGELOG', name.ts, after);
      for (const line of lines) writer.appendLine(line);
      published = writer.close();
    }
    // A crash here republishes the same records in the next file: every record is idempotent.
    index.transaction(() => {
      if (published !== undefined) index.setMeta(RECORDER_KEYS.lastChangelog, basename(published));
      if (lastSeq > 0n) index.journalDrop(lastSeq);
      const prev = Number(index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0');
      if (recordedUpToMs > prev) {
        index.setMeta(RECORDER_KEYS.recordedUpTo, String(recordedUpToMs));
        const anchor = readAnchor();
        if (anchor === undefined) index.deleteMeta(RECORDER_KEYS.clockAnchor);
        else index.setMeta(RECORDER_KEYS.clockAnchor, encodeAnchor(anchor));
      }
    });
    this.deps.onRollover?.(published, recordedUpToMs);
    return published;
  }

  /**
   * A whole-tree reconcile. Without a history (first start, a quarantined index, or after a
   * one-shot sync) it starts one: from the last sync when the index is what that sync left
   * (the scan then records what changed since), else from the scan's start, building the index
   * without recording (the worker's hybrid crawl covers that time).
   */
  async reconcile(signal: AbortSignal, why: 'start' | 'overflow' | 'interval' | 'blind'): Promise<void> {
    const { deps } = this;
    this.lastReconcileMs = deps.clock.nowMs();
    const sinceNs = why === 'blind' ? this.sweepSince() : why === 'start' ? this.startSince() : undefined;
    this.blind = undefined; // this scan finds what a blind write went to
    this.blindSince = undefined;
    const stimeMs = readStime(deps.index);
    const noHistory = deps.index.getMeta(RECORDER_KEYS.historyStart) === undefined;
    const bridge = noHistory && stimeMs !== undefined && deps.index.count() > 0;
    const building = noHistory && !bridge;
    const startMs = deps.clock.nowMs();
    const swept = sinceNs !== undefined && !noHistory;
    // reconcile-interval counts from the last whole reconcile, or from the start, swept or not.
    if (!swept || why === 'start') this.lastWholeMs = this.lastReconcileMs;
    if (swept) {
      await this.sweep(signal, sinceNs, startMs, why);
      return;
    }
    deps.log.info(building ? 'building the gfid index of the master' : 'reconciling the master with the gfid index', {
      why,
    });
    let publishedMs = startMs;
    const scan = new ReconcileScan({
      index: deps.index,
      root: deps.root,
      clock: deps.clock,
      rate: deps.crawlRate,
      applyChunk: (checks, deferVanished) =>
        this.applyChecksInTx(checks, { expandNewDirs: false, deferVanished, journal: !building }),
      // A long scan (a big tree, a slow rate) publishes what it found every change-interval, so
      // the worker syncs it meanwhile. The recorded-up-to time stays where it was: the scan has not seen the
      // rest yet. Not while a history is being started: the worker waits for its start.
      ...(noHistory
        ? {}
        : {
            onProgress: () => {
              const now = deps.clock.nowMs();
              if (now - publishedMs < deps.intervalMs) return;
              publishedMs = now;
              this.rollover(Number(deps.index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0'));
            },
          }),
    });
    if (!(await this.runScan(scan, signal))) return;
    if (noHistory) {
      const from = bridge && stimeMs !== undefined ? stimeMs : startMs;
      deps.index.setMeta(RECORDER_KEYS.historyStart, String(from));
      const prev = Number(deps.index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0');
      deps.index.setMeta(RECORDER_KEYS.recordedUpTo, String(Math.max(prev, startMs)));
    }
    deps.log.info('reconcile done', {
      entries: scan.entriesScanned,
      durationMs: deps.clock.nowMs() - startMs,
    });
  }

  /**
   * A reconcile by ctime (ReconcileScan.changedSinceNs): the answer to blind writes, and a start
   * whose clocks ran evenly since its recorded-up-to time. It finds what changed since `sinceNs`
   * (the file a write went to through a name gone since, among it), as a whole reconcile would,
   * without reading every row of the index.
   */
  private async sweep(
    signal: AbortSignal,
    sinceNs: bigint,
    startMs: number,
    why: 'start' | 'overflow' | 'interval' | 'blind',
  ): Promise<void> {
    const { deps } = this;
    const sinceMs = Number(sinceNs / 1_000_000n);
    // Debug: at info, the first line a process writes loads winston (70 ms of a restart's
    // critical path in a profile); 'sweep done' says it all once the sweep's finds are out.
    deps.log.debug('sweeping the master for what changed since', { why, sinceMs });
    const publishes = deps.sweepPublishMs !== undefined && deps.sweepPublishMs > 0;
    let publishedMs = deps.clock.nowMs();
    const scan = new ReconcileScan({
      index: deps.index,
      root: deps.root,
      clock: deps.clock,
      rate: deps.crawlRate,
      changedSinceNs: sinceNs,
      // What the sweep found so far goes out as it goes, as a long reconcile's does; the
      // recorded-up-to time stays where it was until the sweep has seen the rest.
      ...(publishes
        ? {
            chunkMs: deps.sweepPublishMs,
            // Paced here too: a rate-limited sweep ends a chunk at every find.
            onProgress: () => {
              const now = deps.clock.nowMs();
              if (now - publishedMs < (deps.sweepPublishMs ?? 0)) return;
              publishedMs = now;
              this.rollover(Number(deps.index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0'));
            },
          }
        : {}),
      // Vanished names wait for the end of the sweep, as in a reconcile: a directory moved into
      // another one is met there later, and is a rename, not a delete and a new tree. What a
      // blind write reached may have moved since, its new ctime recorded: a move counts as a write.
      applyChunk: (checks, deferVanished) =>
        this.applyChecksInTx(checks, { expandNewDirs: true, deferVanished, journal: true, unplacedWrites: true }),
    });
    if (!(await this.runScan(scan, signal))) return;
    const durationMs = deps.clock.nowMs() - startMs;
    // The last finds go out before the line is written (see above), the run's rollover after.
    if (publishes) this.rollover(Number(deps.index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0'));
    deps.log.info('sweep done', { why, sinceMs, looked: scan.entriesScanned, durationMs });
  }

  /** Marks a blind write found in this tick's looks (see blind, blindSince). */
  private markBlind(why: string): void {
    this.blind ??= why;
    // The write came in this tick's hints: after the last tick's marker, which followed the
    // last tick's start; hints a source without a marker gave late, within watch-settle.
    // The earliest such time stands, with the clock readings it was taken from.
    const base = this.ticks.prev;
    const wallMs = base?.wallMs ?? Date.now();
    if (this.blindSince === undefined || wallMs - this.deps.settleMs - CTIME_SLACK_MS < this.blindSince.sinceMs)
      this.blindSince = { base, sinceMs: wallMs - this.deps.settleMs - CTIME_SLACK_MS };
  }

  /**
   * The ctime, ns, from which a sweep finds what the blind writes reached; undefined when the
   * wall clock stepped since then, or the clocks cannot be read (ctimes are wall-clock times):
   * a whole reconcile then.
   */
  private sweepSince(): bigint | undefined {
    if (this.blindSince === undefined) return undefined;
    const { base, sinceMs } = this.blindSince;
    const now = readAnchor();
    if (base === undefined || now === undefined || !clockRanEvenly(base, now)) {
      this.deps.log.warn(
        'the wall clock stepped (or cannot be read): a whole-tree reconcile instead of a sweep by ctime',
      );
      return undefined;
    }
    return BigInt(Math.floor(sinceMs)) * 1_000_000n;
  }

  /**
   * Where a start may sweep from: its recorded-up-to time (every change before it is recorded),
   * less watch-settle and the ctime slack, when the clocks ran evenly since that time was
   * recorded (no reboot, no step of the wall clock: clock-anchor.ts). Undefined: a whole
   * reconcile (no anchor, an older session, another boot, a stepped clock, or a recorded-up-to
   * time the wall clock had not reached, as a test's manual clock gives).
   */
  private startSince(): bigint | undefined {
    const { index, settleMs, log } = this.deps;
    const upTo = Number(index.getMeta(RECORDER_KEYS.recordedUpTo) ?? '0');
    const then = decodeAnchor(index.getMeta(RECORDER_KEYS.clockAnchor));
    const now = readAnchor();
    if (upTo <= 0 || then === undefined || now === undefined) return undefined;
    if (!clockRanEvenly(then, now) || upTo > then.wallMs + CTIME_SLACK_MS) {
      log.info('rebooted, or the wall clock stepped, since the last recorded time: reconciling the whole tree');
      return undefined;
    }
    return BigInt(Math.floor(upTo - settleMs - CTIME_SLACK_MS)) * 1_000_000n;
  }

  /**
   * Directories the watcher could not read that this user may read now (a chmod, a changed
   * group) are watched and re-read as a directory that arrived: what they held all along is
   * recorded then (their names' ctimes are old, so no sweep would find them).
   */
  private checkReadableAgain(): void {
    const { deps } = this;
    for (const dir of this.unreadableDirs) {
      try {
        fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
      } catch (e) {
        if (hasErrno(e, 'EACCES', 'EPERM')) continue;
      }
      this.unreadableDirs.delete(dir);
      const gfid = this.gfidAt(Buffer.from(dir));
      if (gfid === undefined) continue; // gone, or not known (a sweep records it as new)
      deps.log.info(`${dir} can be read now: watching it and reading what it holds`, { path: dir });
      this.structural.add(gfid);
    }
  }

  /** The gfid the index has at absolute path `abs` under the root, if any. */
  private gfidAt(abs: Buffer): Gfid | undefined {
    const { root, index } = this.deps;
    if (abs.length <= root.length || abs[root.length] !== 0x2f || !abs.subarray(0, root.length).equals(root))
      return undefined;
    let gfid: Gfid = ROOT_GFID;
    let from = root.length + 1;
    while (from <= abs.length) {
      const slash = abs.indexOf(0x2f, from);
      const to = slash === -1 ? abs.length : slash;
      const row = index.lookup(gfid, abs.subarray(from, to));
      if (row === undefined) return undefined;
      gfid = row.gfid;
      from = to + 1;
    }
    return gfid;
  }

  /**
   * After a directory rename or the arrival of a directory tree: watch afresh, then re-read
   * those subtrees, which finds whatever changed there while they were not (rightly) watched.
   */
  private async rewatch(signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const dirs = [...this.structural];
    this.structural.clear();
    deps.index.forgetCachedPaths();
    for (const gfid of dirs) {
      const rel = deps.index.pathOf(gfid);
      if (rel === undefined || deps.index.objectOf(gfid)?.type !== 'dir') continue; // gone since
      const abs = Buffer.concat([deps.root, Buffer.from('/'), rel]);
      if (!isUtf8(abs)) {
        // A watcher takes paths as strings: this one cannot be named to it. Watch all afresh.
        this.overflow = `a directory whose path is not UTF-8 (${displayPath(rel)}) was renamed or arrived`;
        continue;
      }
      await deps.source.watchSubtree(abs.toString());
      const scan = new ReconcileScan({
        index: deps.index,
        root: deps.root,
        clock: deps.clock,
        rate: deps.crawlRate,
        subtree: { gfid, rel },
        applyChunk: (checks, deferVanished) =>
          this.applyChecksInTx(checks, { expandNewDirs: false, deferVanished, journal: true }),
      });
      if (!(await this.runScan(scan, signal, false))) return;
    }
  }

  private applyChecks(
    checks: readonly Check[],
    opts: LookOptions,
    writtenInodes: Iterable<bigint> = [],
  ): IndexedEntry[] {
    return this.deps.index.transaction(() => this.applyChecksInTx(checks, opts, writtenInodes));
  }

  /** One diff inside the caller's transaction: index changes, journal records, xtimes. */
  private applyChecksInTx(
    checks: readonly Check[],
    opts: LookOptions,
    writtenInodes: Iterable<bigint> = [],
  ): IndexedEntry[] {
    const { index } = this.deps;
    const lines: string[] = [];
    const emit = (c: Change): void => {
      if (opts.journal) lines.push(formatRecord(c));
    };
    const diff = new TreeDiff(
      {
        index,
        root: this.deps.root,
        emit,
        onSkip: (rel, reason) => this.skip(rel, reason),
      },
      { ...opts, unplacedWrites: opts.unplacedWrites === true || this.unplaced || this.blind !== undefined },
    );
    const kept = diff.apply(checks, writtenInodes);
    for (const g of diff.structural) this.structural.add(g);
    // A write WriteOrigins placed on an inode is looked at there: no reconcile for it.
    const unseen = diff.unseenWrites.find((rel) => !this.placed.has(absPath(this.deps.root, rel).toString()));
    if (unseen !== undefined)
      this.markBlind(`a write at ${displayPath(unseen)} may have gone to a hard link renamed over since`);
    if (lines.length > 0) index.journalAppend(lines);
    if (opts.journal && diff.touched.size > 0) this.propagateXtime(diff.touched);
    return kept;
  }

  /** GlusterFS's marker: a change moves the xtime of the entry and of every ancestor up to the root. */
  private propagateXtime(touched: ReadonlySet<Gfid>): void {
    const { index, clock } = this.deps;
    const now = clock.nowMs();
    const done = new Set<Gfid>();
    for (const start of touched) {
      let cur: Gfid | undefined = start;
      while (cur !== undefined && !done.has(cur) && cur !== ROOT_GFID) {
        done.add(cur);
        index.setXtime(cur, now);
        cur = index.namesOf(cur)[0]?.pargfid;
      }
    }
    index.setMeta(RECORDER_KEYS.rootXtime, String(now));
  }

  private skip(rel: Buffer, reason: string): void {
    const key = rel.toString('latin1');
    if (this.skipped.has(key)) return;
    this.skipped.add(key);
    this.deps.log.warn(`not recording ${displayPath(rel)}: ${reason}`);
  }
}

/** `dev:ino` of the directory at `root`, or why there is none ('absent', 'not a directory'). */
function rootIdentity(root: Buffer): string {
  const st = lstatIfAny(root);
  if (st === undefined) return 'absent';
  return st.isDirectory() ? `${st.dev}:${st.ino}` : 'not a directory';
}
