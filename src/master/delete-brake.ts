// DeleteBrake: the mass-delete brake (issue 15). Invariant: while it is engaged nothing is
// removed from the slave: every delete a turn reads is held (HeldDeletes) until the operator
// runs `georep release`, and creates, writes and renames go on. It engages when one turn's
// deletes would take more of the slave than delete-brake-percent or delete-brake-count allow,
// or when the master root is not the directory the session recorded (unmounted, mounted over,
// replaced), cannot be read, or is empty while deletes are pending or the index holds entries.
// Its state lives in the session's index (meta keys and the held_deletes table): it survives
// restarts, and `georep release` (another process) reaches the running worker through it.

import fs from 'node:fs';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { EntryName } from '../changelog/index.js';
import type { HeldDeletes, MetaKey, NameIndex, NewHeldDelete, SessionMeta, StoreConnection } from '../store/index.js';

/** What the brake keeps in the session index: its meta keys, and the entry count it judges by. */
export type BrakeIndex = SessionMeta & Pick<NameIndex, 'count'> & Pick<StoreConnection, 'transaction'>;
import { errnoOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { HeldRecord } from './plan.js';

export type BrakeConfig = Pick<Config, 'deleteBrakePercent' | 'deleteBrakeCount' | 'deleteBrakeMin'>;

/** Where a turn's held deletes go, and which names hold one already (BatchPipeline.holdDeletes). */
export interface DeleteHold {
  heldAt(at: EntryName): boolean;
  hold(items: readonly HeldRecord[]): void;
}

/** Session meta keys of the brake. */
export const BRAKE_KEYS = {
  /** Why the brake is engaged, one line; unset while it is not. */
  cause: 'brake.cause',
  sinceMs: 'brake.sinceMs',
  /** `<st_dev>:<st_ino>` of the master root the session syncs (recorded on first sight). */
  root: 'brake.root',
  /** `georep release` asked to let go of the deletes held up to this seq. */
  release: 'brake.releaseSeq',
  /** A full crawl's purge of unknown slave entries was held: the release runs it. */
  purge: 'brake.purgeHeld',
} as const satisfies Record<string, MetaKey>;

/** What a turn's deletes would take from the slave: entries removed, of the entries it holds. */
export interface RemovalCount {
  readonly entries: number;
  readonly total: number;
}

export interface BrakeState {
  readonly cause: string;
  readonly sinceMs: number;
  /** Deletes held now. */
  readonly held: number;
}

/**
 * Why `count` is a mass delete under the limits, or undefined when it is not. A limit of 0 is
 * off; the percentage applies from delete-brake-min deletes on, so that a few deletes in a
 * small tree never stop anything.
 */
export function limitCause(cfg: BrakeConfig, count: RemovalCount): string | undefined {
  const { entries, total } = count;
  if (cfg.deleteBrakeCount > 0 && entries > cfg.deleteBrakeCount) {
    return `${entries} deletes exceed delete-brake-count ${cfg.deleteBrakeCount}`;
  }
  const base = Math.max(total, entries);
  if (
    cfg.deleteBrakePercent > 0 &&
    entries > 0 &&
    entries >= cfg.deleteBrakeMin &&
    entries * 100 > cfg.deleteBrakePercent * base
  ) {
    const pct = Math.round((entries * 1000) / base) / 10;
    return `${entries} deletes would remove ${pct}% of the ${base} entries on the slave (delete-brake-percent ${cfg.deleteBrakePercent})`;
  }
  return undefined;
}

/** `<st_dev>:<st_ino>` of a directory, or the errno that kept it from being read. */
export function rootIdentity(rootPath: string): { readonly id: string } | { readonly error: string } {
  try {
    const st = fs.statSync(rootPath, { bigint: true });
    if (!st.isDirectory()) return { error: 'not a directory' };
    return { id: `${st.dev}:${st.ino}` };
  } catch (e) {
    return { error: errnoOf(e) ?? String(e) };
  }
}

/** True when the directory has no entry (reads one entry, not the whole listing). */
export function isEmptyDir(dirPath: string): boolean {
  const dir = fs.opendirSync(dirPath);
  try {
    return dir.readSync() === null;
  } finally {
    dir.closeSync();
  }
}

export interface BrakeDeps {
  readonly rootPath: string;
  readonly index: BrakeIndex;
  readonly held: HeldDeletes;
  readonly log: Logger;
  readonly clock: Pick<Clock, 'nowMs'>;
}

export class DeleteBrake {
  constructor(
    readonly cfg: BrakeConfig,
    private readonly deps: BrakeDeps,
  ) {}

  /** Engaged: why, since when, and how many deletes it holds; undefined when not engaged. */
  state(): BrakeState | undefined {
    const { index, held } = this.deps;
    const cause = index.getMeta(BRAKE_KEYS.cause);
    if (cause === undefined) return undefined;
    return { cause, sinceMs: Number(index.getMeta(BRAKE_KEYS.sinceMs) ?? '0'), held: held.count() };
  }

  /** The deletes held (a release pages through them). */
  get held(): HeldDeletes {
    return this.deps.held;
  }

  get engaged(): boolean {
    return this.deps.index.getMeta(BRAKE_KEYS.cause) !== undefined;
  }

  /**
   * Why the master root cannot be trusted to say what was deleted, or undefined. The root's
   * device and inode are recorded the first time; another pair later means the root was
   * unmounted, mounted over or replaced. An empty root while deletes are pending (or the index
   * still holds entries) is an emptied or unmounted master.
   */
  rootCause(deletesPending: boolean): string | undefined {
    const { index, rootPath } = this.deps;
    const now = rootIdentity(rootPath);
    if ('error' in now) return `the master root ${rootPath} cannot be read (${now.error})`;
    const known = index.getMeta(BRAKE_KEYS.root);
    if (known === undefined) index.setMeta(BRAKE_KEYS.root, now.id);
    else if (known !== now.id) {
      return `the master root ${rootPath} is another directory than the one this session syncs (device:inode ${now.id}, was ${known}): unmounted, mounted over or replaced`;
    }
    if (isEmptyDir(rootPath) && (deletesPending || index.count() > 0)) {
      return `the master root ${rootPath} is empty`;
    }
    return undefined;
  }

  /** Takes the master root as it is now as the one the session syncs (deletes were allowed). */
  acceptRoot(): void {
    const now = rootIdentity(this.deps.rootPath);
    if ('id' in now) this.deps.index.setMeta(BRAKE_KEYS.root, now.id);
  }

  limitCause(count: RemovalCount): string | undefined {
    return limitCause(this.cfg, count);
  }

  /** Engages the brake (a no-op when it already is: the first cause stays). */
  engage(cause: string): void {
    const { index, log, clock } = this.deps;
    if (this.engaged) return;
    index.transaction(() => {
      index.setMeta(BRAKE_KEYS.cause, cause);
      index.setMeta(BRAKE_KEYS.sinceMs, String(clock.nowMs()));
    });
    log.warn(`deletes held: ${cause}; nothing is deleted on the slave until georep release MASTER SLAVE`, {
      event: 'delete_brake',
      action: 'engaged',
      cause,
    });
  }

  /** Holds deletes a turn read (engaged or not: the caller decided the turn holds). */
  hold(items: readonly NewHeldDelete[]): void {
    if (items.length > 0) this.deps.held.hold(items, this.deps.clock.nowMs());
  }

  heldAt(at: EntryName): boolean {
    return this.deps.held.heldAt(at);
  }

  /** The seq up to which `georep release` let go of held deletes; undefined when not asked. */
  releaseAsked(): number | undefined {
    const v = this.deps.index.getMeta(BRAKE_KEYS.release);
    return v === undefined ? undefined : Number(v);
  }

  /** A full crawl's purge was held (see BRAKE_KEYS.purge). */
  holdPurge(): void {
    this.deps.index.setMeta(BRAKE_KEYS.purge, '1');
  }

  get purgeHeld(): boolean {
    return this.deps.index.getMeta(BRAKE_KEYS.purge) !== undefined;
  }

  /**
   * The release is done: the brake lets go, and the master root as it is now becomes the one
   * the session syncs (the operator has seen the cause). `released` deletes were let go.
   */
  clear(released: number): void {
    const { index, log, rootPath } = this.deps;
    const cause = index.getMeta(BRAKE_KEYS.cause);
    const now = rootIdentity(rootPath);
    index.transaction(() => {
      for (const k of [BRAKE_KEYS.cause, BRAKE_KEYS.sinceMs, BRAKE_KEYS.release, BRAKE_KEYS.purge]) index.deleteMeta(k);
      if ('id' in now) index.setMeta(BRAKE_KEYS.root, now.id);
      else index.deleteMeta(BRAKE_KEYS.root);
    });
    log.info(`held deletes released: ${released}`, {
      event: 'delete_brake',
      action: 'released',
      deletes: released,
      cause: cause ?? null,
    });
  }
}

/**
 * `georep release`: records that every delete held so far may reach the slave. The running
 * worker applies them at its next turn (the next start, when none runs); what is held after
 * this moment is counted afresh then. Returns the deletes held, and whether the brake is engaged.
 */
export function requestRelease(
  index: SessionMeta & Pick<StoreConnection, 'transaction'>,
  held: HeldDeletes,
): { readonly held: number; readonly engaged: boolean } {
  return index.transaction(() => {
    const engaged = index.getMeta(BRAKE_KEYS.cause) !== undefined;
    const n = held.count();
    if (engaged || n > 0) index.setMeta(BRAKE_KEYS.release, String(held.lastSeq()));
    return { held: n, engaged };
  });
}
