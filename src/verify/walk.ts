// VerifyWalk: master and slave side by side, directory by directory, in preorder with children
// sorted by raw bytes (the crawler's order, so crawl-position.ts says what comes before what).
// Each directory is one merge of two sorted listings into one line per entry. Memory holds one
// directory's entries (and the few listings asked ahead), the stack of directories still to
// visit, and the open hard-link groups; never the tree.

import { lstatSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Gfid } from '../changelog/index.js';
import type { NameIndex } from '../store/index.js';
import { ROOT_GFID, comparePreorder, isAncestorOrSelf, joinRel } from '../changelog/index.js';
import type { DirPath } from '../changelog/index.js';
import type { HashResult } from '../slave/protocol.js';
import { nsOf } from '../slave/timespec.js';
import { hashFile } from './hash-file.js';
import type { EntryLine, LineSink, Totals } from './lines.js';
import { pathText } from './lines.js';
import { LinkGroups } from './links.js';
import { entryTypeOf } from '../changelog/entry-stat.js';
import { childPath } from './list-dir.js';
import { MasterAhead } from './master-ahead.js';
import type { Listed, NamedEntry } from './list-dir.js';
import type { Sampler } from './sample.js';
import type { SlaveDir, SlaveDirs } from './slave-dirs.js';
import { ROOT_RULES, judgeAttrs, judgeShape, needsHash } from './verdict.js';
import type { CompareRules, Finding } from './verdict.js';
import { wireName } from './wire-entry.js';
import { SLAVE_STATE_DIR } from '../session-files.js';

export interface WalkConfig {
  readonly checksum: boolean;
  readonly sampler: Sampler;
  readonly rules: CompareRules;
  /** Device nodes are replicated (the slave agent runs as root); else the master's are skipped. */
  readonly devices: boolean;
  /** Entries per second; 0 = unlimited. */
  readonly rate: number;
  /** Directories read ahead (in visit order) with their slave listings asked: at most this many listings wait. */
  readonly prefetch: number;
}

export interface WalkDeps {
  readonly masterRoot: Buffer;
  readonly slave: SlaveDirs;
  /** The session's gfid index (for each line's gfid); undefined without a session. */
  readonly index: Pick<NameIndex, 'childGfids'> | undefined;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly emit: LineSink;
  /** After each directory is done: where a resumed walk would go on from. */
  readonly done?: (after: DirPath) => void;
}

/** Where an interrupted walk stopped, and what it had counted then. */
export interface Resume {
  readonly after: DirPath;
  readonly totals: Totals;
  readonly links: LinkGroups;
}

interface DirTask {
  readonly comps: DirPath;
  readonly rel: Buffer;
  readonly gfid: Gfid | undefined;
  /** The slave had a directory here when its parent was listed. */
  readonly onSlave: boolean;
  /** Its entries get lines (false: a resumed walk only passes through it to later ones). */
  readonly visit: boolean;
}

/** One entry of a directory being compared, until its verdict is known. */
interface Pending {
  readonly rel: Buffer;
  readonly gfid: Gfid | null;
  readonly m: Listed | undefined;
  readonly s: Listed | undefined;
  /** Decided without content: shape or missing/extra. */
  readonly shape: Finding | undefined;
  readonly links: Finding | undefined;
  readonly attrs: Finding | undefined;
  /** Index into the directory's hash list, when its content is compared. */
  hash?: number;
}

const RESERVED = Buffer.from(SLAVE_STATE_DIR);

export class VerifyWalk {
  readonly totals: Totals;
  readonly links: LinkGroups;
  private readonly stack: DirTask[] = [];
  private readonly after: DirPath | undefined;
  /** The master's listings, read ahead in visit order with the slave's asked for (master-ahead.ts). */
  private readonly ahead: MasterAhead;
  private startMs = 0;
  private examinedAtStart = 0;

  constructor(
    private readonly cfg: WalkConfig,
    private readonly deps: WalkDeps,
    totals: Totals,
    resume?: Resume,
  ) {
    this.totals = resume?.totals ?? totals;
    this.links = resume?.links ?? new LinkGroups();
    this.after = resume?.after;
    this.ahead = new MasterAhead(deps.masterRoot, cfg.prefetch, {
      visits: (comps) => this.visits(comps),
      follows: (comps, visit) => this.follows(comps, visit),
      askSlave: (rel) => deps.slave.prefetch(rel),
    });
  }

  async run(): Promise<void> {
    this.startMs = this.deps.clock.nowMs();
    this.examinedAtStart = this.totals.examined;
    this.push({ comps: [], rel: Buffer.alloc(0), gfid: ROOT_GFID, onSlave: true, visit: this.visits([]) });
    while (this.stack.length > 0) {
      this.deps.signal?.throwIfAborted();
      this.ahead.fill();
      const task = this.stack.pop() as DirTask; // length checked above
      if (task.visit) await this.compareDir(task);
      else this.passThrough(task);
      if (task.visit) {
        this.deps.done?.(task.comps);
        await this.throttle();
      }
    }
  }

  /** A resumed walk: whether `dir`'s entries come after the position (else they were done). */
  private visits(dir: DirPath): boolean {
    return this.after === undefined || comparePreorder(dir, this.after) > 0;
  }

  private descends(dir: DirPath): boolean {
    return this.after === undefined || comparePreorder(dir, this.after) > 0 || isAncestorOrSelf(dir, this.after);
  }

  /** Whether the walk goes into `comps`: to compare it, or on the way to directories after the position. */
  private follows(comps: DirPath, visit: boolean): boolean {
    if (comps.length === 1 && (comps[0] as Buffer).equals(RESERVED)) return false; // the slave's control folder
    return visit || this.descends(comps);
  }

  private push(task: DirTask): void {
    if (this.follows(task.comps, task.visit)) this.stack.push(task);
  }

  /** Subdirectories of a directory a resumed walk does not visit: whatever the slave has there, it is asked later. */
  private passThrough(task: DirTask): void {
    const gfids = this.gfidsOf(task);
    const subdirs: DirTask[] = [];
    for (const { name, entry: m } of this.ahead.take(task.rel) ?? []) {
      if (m?.kind !== 'dir') continue;
      const comps = [...task.comps, name];
      const gfid = gfids?.get(name);
      subdirs.push({ comps, rel: joinRel(task.rel, name), gfid, onSlave: true, visit: this.visits(comps) });
    }
    for (let i = subdirs.length - 1; i >= 0; i--) this.push(subdirs[i] as DirTask);
  }

  private async compareDir(task: DirTask): Promise<void> {
    // Both listings were most often read ahead (master-ahead.ts); the slave's was asked on the
    // guess that the slave has the directory too, and is dropped when its parent said otherwise.
    const listing = task.onSlave ? this.deps.slave.take(task.rel) : this.deps.slave.drop(task.rel);
    const masterDir = childPathOrRoot(this.deps.masterRoot, task.rel);
    const listed = this.ahead.take(task.rel);
    if (listed === undefined) {
      listing.catch(() => undefined); // not needed any more
      return; // the master directory went since its parent was listed
    }
    const names = listed.map((e) => e.name);
    const mine = listed.map((e) => this.masterEntry(e, task));
    const slaveDir = await listing;
    this.totals.dirs++;
    const pending: Pending[] = [];
    if (task.comps.length === 0) this.compareRoot(slaveDir, pending);
    const gfids = this.gfidsOf(task);
    const subdirs: DirTask[] = [];
    const hashes: { name: Buffer; size: number }[] = [];
    const theirs = slaveDir.entries;
    let i = 0;
    let j = 0;
    while (i < names.length || j < theirs.length) {
      const name = names[i];
      const s = theirs[j];
      const c = name === undefined ? 1 : s === undefined ? -1 : Buffer.compare(name, s.name);
      const m = c <= 0 ? mine[i] : undefined;
      if (c <= 0) i++;
      if (c >= 0) j++;
      if (m === 'skip') continue;
      const entryName = m?.name ?? (s as Listed).name;
      const rel = joinRel(task.rel, entryName);
      const other = c >= 0 ? s : undefined;
      if (m === undefined && other === undefined) continue; // gone from the master since the readdir
      if (m?.kind === 'dir') {
        const comps = [...task.comps, entryName];
        const onSlave = other?.kind === 'dir';
        subdirs.push({
          comps,
          rel,
          gfid: gfids?.get(entryName),
          onSlave,
          visit: this.visits(comps),
        });
      }
      if (!this.cfg.sampler.includes(rel)) {
        this.totals.unsampled++;
        continue;
      }
      const p = this.judge(rel, gfids?.get(entryName) ?? null, m, other);
      if (p.m !== undefined && p.s !== undefined && p.shape === undefined && this.cfg.checksum && needsHash(p.m, p.s)) {
        p.hash = hashes.length;
        hashes.push({ name: entryName, size: p.m.size });
      }
      pending.push(p);
    }
    const digests = hashes.length === 0 ? undefined : await this.hashBoth(task.rel, masterDir, hashes);
    const prefix = task.rel.length === 0 ? '' : `${pathText(task.rel)}/`;
    const lines = pending.map((p) => this.lineOf(p, digests, prefix));
    for (let k = subdirs.length - 1; k >= 0; k--) this.push(subdirs[k] as DirTask);
    await this.deps.emit(lines);
  }

  /** A master entry, 'skip' when georep does not replicate it, undefined when it went since the readdir. */
  private masterEntry({ name, entry: m }: NamedEntry, task: DirTask): Listed | 'skip' | undefined {
    if (task.rel.length === 0 && name.equals(RESERVED)) {
      this.totals.skipped++; // reserved for the slave's control folder: never replicated
      return 'skip';
    }
    if (m === undefined) return undefined;
    if (m.kind === 'socket' || (!this.cfg.devices && (m.kind === 'chardev' || m.kind === 'blockdev'))) {
      this.totals.skipped++;
      return 'skip';
    }
    return m;
  }

  /** The root compares its own attributes (its line is '.'). */
  private compareRoot(slaveDir: SlaveDir, pending: Pending[]): void {
    const root = this.deps.masterRoot;
    const st = lstatSync(root, { bigint: true });
    const m: Listed = {
      name: Buffer.from('.'),
      kind: entryTypeOf(st),
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: 0,
      mtimeNs: st.mtimeNs,
      nlink: Number(st.nlink),
      ino: st.ino,
      rdev: 0,
    };
    const self = slaveDir.self;
    const s: Listed | undefined =
      self === null ? undefined : { ...m, mode: self.mode, uid: self.uid, gid: self.gid, mtimeNs: nsOf(self.mtime) };
    if (!this.cfg.sampler.includes(Buffer.alloc(0))) {
      this.totals.unsampled++;
      return;
    }
    const rel = Buffer.alloc(0);
    const attrs = s === undefined ? undefined : judgeAttrs(m, s, ROOT_RULES);
    const shape: Finding | undefined =
      s === undefined ? { verdict: 'missing', master: 'dir', slave: 'absent' } : undefined;
    pending.push({ rel, gfid: ROOT_GFID, m, s, shape, links: undefined, attrs });
  }

  private judge(rel: Buffer, gfid: Gfid | null, m: Listed | undefined, s: Listed | undefined): Pending {
    const none = { links: undefined, attrs: undefined };
    if (m === undefined)
      return { rel, gfid, m, s, shape: { verdict: 'extra', master: 'absent', slave: s?.kind ?? '' }, ...none };
    if (s === undefined)
      return { rel, gfid, m, s, shape: { verdict: 'missing', master: m.kind, slave: 'absent' }, ...none };
    const shape = judgeShape(m, s);
    if (shape !== undefined) return { rel, gfid, m, s, shape, ...none };
    const links = m.kind === 'dir' ? undefined : this.links.check(m, s);
    return { rel, gfid, m, s, shape, links, attrs: judgeAttrs(m, s, this.cfg.rules) };
  }

  /** Digests of both sides: the agent hashes its files while this process hashes the master's. */
  private async hashBoth(
    rel: Buffer,
    masterDir: Buffer,
    files: readonly { name: Buffer; size: number }[],
  ): Promise<{ master: HashResult; slave: HashResult }[]> {
    const theirs = this.deps.slave.hash(rel, files);
    theirs.catch(() => undefined); // awaited below, after the master's side
    const ours = files.map((f) => {
      this.totals.hashedBytes += f.size;
      return hashFile(childPath(masterDir, f.name));
    });
    const slave = await theirs;
    return ours.map((master, k) => ({ master, slave: slave[k] ?? { error: 'EIO' } }));
  }

  private lineOf(
    p: Pending,
    digests: { master: HashResult; slave: HashResult }[] | undefined,
    prefix: string,
  ): EntryLine {
    const content = p.hash === undefined ? undefined : contentFinding(digests?.[p.hash]);
    const finding = p.shape ?? content ?? p.links ?? p.attrs;
    const type = (p.m ?? p.s)?.kind ?? 'file';
    this.totals.examined++;
    // The directory's part is escaped once per directory, each name once.
    const path = p.rel.length === 0 ? '.' : prefix + wireName((p.m ?? p.s)?.name ?? p.rel);
    if (finding === undefined) {
      this.totals.ok++;
      return { path, gfid: p.gfid, verdict: 'ok', type };
    }
    this.totals[finding.verdict]++;
    return { path, gfid: p.gfid, verdict: finding.verdict, type, master: finding.master, slave: finding.slave };
  }

  /** The master gfids of a directory's children, looked up in name order. */
  private gfidsOf(task: DirTask): SortedGfids | undefined {
    if (this.deps.index === undefined || task.gfid === undefined) return undefined;
    return new SortedGfids(this.deps.index.childGfids(task.gfid));
  }

  private async throttle(): Promise<void> {
    // Each directory yields to the event loop: the agent's replies are read off the pipe as they
    // come. Otherwise the pipe fills while this process compares, and the agent, unable to
    // write, stops listing the directories asked ahead: the two sides would take turns.
    if (this.cfg.rate <= 0) return new Promise((resolve) => setImmediate(resolve));
    const dueMs = ((this.totals.examined - this.examinedAtStart) / this.cfg.rate) * 1000;
    const elapsed = this.deps.clock.nowMs() - this.startMs;
    if (dueMs > elapsed) await this.deps.clock.sleep(dueMs - elapsed, this.deps.signal);
  }
}

function contentFinding(d: { master: HashResult; slave: HashResult } | undefined): Finding | undefined {
  if (d === undefined) return undefined;
  const text = (h: HashResult): string =>
    'sha256' in h ? `sha256 ${h.sha256.slice(0, 16)}…` : `unreadable (${h.error})`;
  if ('sha256' in d.master && 'sha256' in d.slave && d.master.sha256 === d.slave.sha256) return undefined;
  return { verdict: 'content', master: text(d.master), slave: text(d.slave) };
}

/**
 * A directory's children as the session index has them, sorted by name bytes (SQLite orders
 * BLOBs with memcmp, as Buffer.compare does). Asked in increasing name order, as the merge
 * walks, so each lookup only moves a cursor.
 */
class SortedGfids {
  private i = 0;

  constructor(private readonly rows: readonly (readonly [Buffer, Gfid])[]) {}

  get(name: Buffer): Gfid | undefined {
    while (this.i < this.rows.length && Buffer.compare((this.rows[this.i] as readonly [Buffer, Gfid])[0], name) < 0)
      this.i++;
    const row = this.rows[this.i];
    return row !== undefined && row[0].equals(name) ? row[1] : undefined;
  }
}

const childPathOrRoot = (root: Buffer, rel: Buffer): Buffer => (rel.length === 0 ? root : childPath(root, rel));
