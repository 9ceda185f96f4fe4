// Seeding: a one-shot sync into an empty local slave starts with a bulk copy of the whole
// tree (SeedCopy, run beside the crawl), then each batch offers its new entries to the agent
// for adoption before anything is sent. An entry the copy made exactly as the crawl saw it
// (type, mode, owner, and size and mtime to the ns for a file) is recorded, not sent again
// (a file whose ctime says it changed after the copy began keeps its name but has its data
// sent whole: the copy may hold what it was before a rewrite that put size and mtime back);
// whatever does not match (changed meanwhile, a hard link split between two cp processes)
// goes the usual way, by gfid, and replaces the copy. The crawl's purge then drops what the
// copy made that the crawl never saw. A turn's pipeline reaches all of this through one
// SeedStep, which only the first sync's crawl turn plugs in (SeedRun).

import { getuid } from 'node:process';
import { GeorepError } from '../errors.js';
import type { Logger } from '../log.js';
import { LIMITS, timespecOf } from '../slave/index.js';
import type { AdoptItem, AdoptKind, EntryOp, SlaveCaller, Timespec } from '../slave/index.js';
import type { CompressKind, Config } from '../config.js';
import { SeedCopy } from '../syncer/index.js';
import type { RemoteTarget } from '../syncer/index.js';
import type { Gfid } from '../changelog/index.js';
import type { Plan } from './plan.js';
import { startReverify } from './reverify.js';
import type { SessionMeta } from '../store/index.js';

/** A plan less what the slave adopted from a seed copy, and how many entries that was. */
export interface Adoption {
  readonly plan: Plan;
  readonly adopted: number;
}

/**
 * The seeding piece of a turn's pipeline (batch-pipeline.ts): before a batch is sent, what a
 * seed copy made of it is adopted. Only the first sync into an empty slave plugs one in (the
 * one-shot full crawl, and the live daemon's first hybrid crawl: crawl-xsync.ts); every other
 * turn, the live changelog turns among them, sends every entry by gfid.
 */
export interface SeedStep {
  adopt(plan: Plan): Promise<Adoption>;
}

export interface SeedSettings {
  /** cp processes in parallel (sync-jobs). */
  readonly jobs: number;
  /** Extended attributes are copied too (use-rsync-xattrs). */
  readonly xattrs: boolean;
  /** Compression of a remote seed stream (the compress and compress-level options). */
  readonly compress?: CompressKind;
  readonly compressLevel?: number;
  /** How far a ctime may lag its change (default CTIME_SLACK_MS; tests shorten it). */
  readonly ctimeSlackMs?: number;
}

export interface SeedDeps {
  readonly slave: SlaveCaller;
  readonly sourceRoot: string;
  /** A slave on another host: the copy is streamed there by rsync instead of cp. */
  readonly remote?: RemoteTarget;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /**
   * Called once the copy is about to begin. Until the crawl turn completes, the copy's files are
   * proven only by their adoption: the session re-verifies the slave's content (reverify.ts), so
   * that a run after one stopped part-way sends what the copy may hold stale.
   */
  readonly onCopyBegins?: () => void;
}

/**
 * A seed copy beside one crawl turn: started before the walk, adopted from by each batch once
 * it landed, settled before the crawl's purge. Batches wait for it; while it runs the crawl's
 * sink hands its files over without waiting (XsyncSink's holdWhile reads `running`).
 */
export class SeedRun implements SeedStep {
  private copy: Promise<boolean> | undefined;
  private copying = false;
  private begun: Promise<void> | undefined;
  /** Unix ns before which every change to a file was made before the copy could read it. */
  private readSinceNs = 0n;

  constructor(
    private readonly settings: SeedSettings,
    private readonly deps: SeedDeps,
  ) {}

  /**
   * Starts the copy. Resolves once it runs (or it is clear none will), so that the walk that
   * follows does not hold it back; batches processed from now on wait for it. A second call
   * returns the first one's promise: the live daemon starts the copy while the recorder still
   * indexes the master (the copy needs no gfids), and the crawl turn's own call then finds it
   * running.
   */
  start(): Promise<void> {
    if (this.begun !== undefined) return this.begun;
    let started = (): void => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    // The wall clock, not the session's: it is compared with the master files' ctimes.
    this.readSinceNs = BigInt(Date.now() - (this.settings.ctimeSlackMs ?? CTIME_SLACK_MS)) * 1_000_000n;
    const copy = runSeed(this.settings, this.deps, started);
    this.copying = true;
    const over = (): void => {
      this.copying = false;
      started();
    };
    copy.then(over, over); // awaited by the batches and by settled(); no unhandled rejection meanwhile
    this.copy = copy;
    this.begun = running;
    return running;
  }

  /** The copy is still running: the crawl walks on and its batches queue (XsyncSink). */
  get running(): boolean {
    return this.copying;
  }

  /** Waits for the copy; true when it landed (its leftovers are then purged). */
  async settled(): Promise<boolean> {
    return this.copy === undefined ? false : await this.copy;
  }

  async adopt(plan: Plan): Promise<Adoption> {
    if (this.copy === undefined || !(await this.copy)) return { plan, adopted: 0 };
    return adoptSeeded(plan, this.deps.slave, this.deps.signal, this.readSinceNs);
  }
}

/**
 * How far a file's ctime may lag the moment of its change: the kernel stamps it from a coarse
 * clock, one tick behind at most (1-10 ms). A file system that stamps ctimes with another
 * host's clock (NFS) needs that clock in step with this one, to within this much.
 */
const CTIME_SLACK_MS = 100;

/**
 * Runs the seed copy when the slave is empty; true when its copy is in the slave root.
 * `onStarted` is called once the copy processes run (or it is clear none will): the caller
 * waits for that before it walks the master, since a walk chunk holds the event loop and the
 * agent's seedBegin reply would otherwise wait for the whole walk.
 */
export async function runSeed(settings: SeedSettings, deps: SeedDeps, onStarted?: () => void): Promise<boolean> {
  const { slave, log, signal } = deps;
  let begun: { readonly dir: string | null; readonly reason: string };
  try {
    begun = await slave.call('seedBegin', {}, signal);
  } catch (e) {
    onStarted?.();
    throw e;
  }
  if (begun.dir === null) {
    onStarted?.();
    log.info(`no seed copy: ${begun.reason}; syncing file by file`);
    return false;
  }
  deps.onCopyBegins?.();
  const copying = new SeedCopy().run({
    sourceRoot: deps.sourceRoot,
    destDir: begun.dir,
    jobs: settings.jobs,
    owners: getuid?.() === 0,
    xattrs: settings.xattrs,
    ...(deps.remote === undefined
      ? {}
      : { remote: deps.remote, compress: settings.compress, compressLevel: settings.compressLevel }),
    ...(signal === undefined ? {} : { signal }),
    ...(onStarted === undefined ? {} : { onStarted }),
  });
  const copied = await copying;
  if (!copied.ok) {
    signal?.throwIfAborted();
    await slave.call('seedAbort', {}, signal);
    log.warn(`seed copy failed (${copied.why}); dropped it, syncing file by file`);
    return false;
  }
  try {
    const { moved } = await slave.call('seedCommit', {}, signal);
    log.info('seed copy done', { processes: copied.processes, seconds: copied.durationMs / 1000, topEntries: moved });
    return true;
  } catch (e) {
    if (!(e instanceof GeorepError) || e.code !== 'ENTRY_CONFLICT') throw e;
    log.warn(e.message);
    return false;
  }
}

const S_IFMT = 0o170000;
const SPECIAL_KINDS: ReadonlyMap<number, AdoptKind> = new Map([
  [0o010000, 'fifo'],
  [0o020000, 'chardev'],
  [0o060000, 'blockdev'],
]);
const ZERO: Timespec = { sec: 0, nsec: 0 };

/** The adoption item for one creating entry op, or undefined when the op makes nothing adoptable. */
function itemOf(op: EntryOp, data: ReadonlyMap<Gfid, { size: number; mtimeNs: bigint }>): AdoptItem | undefined {
  const base = { gfid: op.gfid, entry: op.entry, size: 0, mtime: ZERO, rdev: 0 };
  switch (op.op) {
    case 'CREATE': {
      const d = data.get(op.gfid); // only a file whose data this batch sends: its size and mtime are known
      if (d === undefined) return undefined;
      return {
        ...base,
        kind: 'file',
        mode: op.mode,
        uid: op.uid,
        gid: op.gid,
        size: d.size,
        mtime: timespecOf(d.mtimeNs),
      };
    }
    case 'MKDIR':
      return { ...base, kind: 'dir', mode: op.mode, uid: op.uid, gid: op.gid };
    case 'MKNOD': {
      const kind = SPECIAL_KINDS.get(op.mode & S_IFMT);
      return kind === undefined ? undefined : { ...base, kind, mode: op.mode, uid: op.uid, gid: op.gid, rdev: op.rdev };
    }
    case 'SYMLINK':
      return { ...base, kind: 'symlink', mode: 0, uid: op.uid, gid: op.gid, target: op.target };
    case 'LINK':
      return { ...base, kind: 'link', mode: 0, uid: 0, gid: 0 };
    default:
      return undefined;
  }
}

/**
 * Offers the plan's creating entry ops for adoption and returns the plan without what was
 * adopted: its entry op, and a file's data. Metadata ops stay (directories' times are set after
 * the batch's changes inside them), and so does `confirm`: an adopted entry is on the slave as
 * the crawl saw it.
 */
export async function adoptSeeded(
  plan: Plan,
  slave: SlaveCaller,
  signal?: AbortSignal,
  readSinceNs?: bigint,
): Promise<Adoption> {
  const data = new Map([...plan.dataNs, ...plan.dataOff].map((d) => [d.gfid, d]));
  const offered: { item: AdoptItem; op: number }[] = [];
  plan.entryOps.forEach((op, i) => {
    const item = itemOf(op, data);
    if (item !== undefined) offered.push({ item, op: i });
  });
  const adoptedOps = new Set<number>();
  const adoptedFiles = new Set<Gfid>();
  for (let start = 0; start < offered.length; start += LIMITS.opsPerBatch) {
    const chunk = offered.slice(start, start + LIMITS.opsPerBatch);
    const { adopted } = await slave.call('adopt', { items: chunk.map((c) => c.item) }, signal);
    for (const i of adopted) {
      const hit = chunk[i];
      if (hit === undefined) continue;
      adoptedOps.add(hit.op);
      if (hit.item.kind === 'file') adoptedFiles.add(hit.item.gfid);
    }
  }
  if (adoptedOps.size === 0) return { plan, adopted: 0 };
  // A file changed after the copy may have begun (its ctime says so) may have been read before
  // the change and rewritten with its size and mtime put back: the copy proves its name, not
  // its content. Its data is sent whole (no quick check) over the adopted copy.
  const suspect = (gfid: Gfid): boolean => {
    const ctimeNs = plan.confirm.get(gfid)?.ctimeNs;
    return readSinceNs !== undefined && (ctimeNs === undefined || changedSince(ctimeNs, readSinceNs));
  };
  const resend = new Set([...adoptedFiles].filter(suspect));
  const sent = (d: { gfid: Gfid }): boolean => !adoptedFiles.has(d.gfid);
  return {
    plan: {
      ...plan,
      entryOps: plan.entryOps.filter((_, i) => !adoptedOps.has(i)),
      dataOff: [
        ...plan.dataOff.filter((d) => sent(d) || resend.has(d.gfid)),
        ...plan.dataNs.filter((d) => resend.has(d.gfid)),
      ],
      dataNs: plan.dataNs.filter(sent),
    },
    adopted: adoptedOps.size,
  };
}

const NS_PER_S = 1_000_000_000n;

/**
 * Whether a file whose ctime is `ctimeNs` may have changed at or after `sinceNs`. A ctime of
 * whole seconds is taken as from a file system that keeps no more (ext3, some NFS and FUSE
 * ones): a change in the same second as `sinceNs` counts, though its ctime reads earlier.
 */
export function changedSince(ctimeNs: bigint, sinceNs: bigint): boolean {
  return ctimeNs >= (ctimeNs % NS_PER_S === 0n ? sinceNs - (sinceNs % NS_PER_S) : sinceNs);
}

/**
 * The seed copy of a session's first sync, when seed-copy is on (undefined otherwise): a bulk
 * copy over the session's agent, by cp into a local slave or by rsync streams over the ssh
 * link. `xattrs`: the master's sendmark axis (rsync carries extended attributes).
 */
export function seedRunOf(
  session: {
    readonly config: Pick<Config, 'seedCopy' | 'syncJobs' | 'compress' | 'compressLevel'>;
    readonly masterRoot: string;
    readonly log: Logger;
  },
  parts: {
    readonly slave: SlaveCaller;
    readonly remote: RemoteTarget | undefined;
    readonly signal: AbortSignal;
    /** The session index: re-verify starts in it when the copy begins (SeedDeps.onCopyBegins). */
    readonly index: Pick<SessionMeta, 'setMeta'>;
  },
  xattrs: boolean,
): SeedRun | undefined {
  const { config } = session;
  if (!config.seedCopy) return undefined;
  return new SeedRun(
    { jobs: config.syncJobs, xattrs, compress: config.compress, compressLevel: config.compressLevel },
    {
      slave: parts.slave,
      sourceRoot: session.masterRoot,
      log: session.log,
      signal: parts.signal,
      ...(parts.remote === undefined ? {} : { remote: parts.remote }),
      onCopyBegins: () => startReverify(parts.index, 'seed copy'),
    },
  );
}
