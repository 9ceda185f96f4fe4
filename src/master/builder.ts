// buildMaster: composes one Master class from the five axes (gsyncd's gmaster_builder), by
// typed tables rather than names assembled at run time: a new variant fails to compile until
// it is wired here.

import { Mixin } from 'ts-mixer';
import type { SyncMethod, SyncMode } from '../config.js';
import { MasterBase } from './master-base.js';
import { CrawlChangelog, CrawlHistory } from './mixins/crawl-changelog.js';
import { CrawlXsync } from './mixins/crawl-xsync.js';
import { EngineRsync } from './mixins/engine-rsync.js';
import { EngineTarssh } from './mixins/engine-tarssh.js';
import { ModeNormal } from './mixins/mode-normal.js';
import { ModePartial } from './mixins/mode-partial.js';
import { ModeRecover } from './mixins/mode-recover.js';
import { PurgeNoop } from './mixins/purge-noop.js';
import { PurgeNormal } from './mixins/purge-normal.js';
import { SendmarkNormal } from './mixins/sendmark-normal.js';
import { SendmarkRsync } from './mixins/sendmark-rsync.js';

export type DetectMode = 'xsync' | 'history' | 'changelog';
export type SendmarkMode = 'normal' | 'rsync';
export type PurgeMode = 'normal' | 'noop';

export interface MasterChoice {
  readonly detect: DetectMode;
  readonly mode: SyncMode;
  readonly sendmark: SendmarkMode;
  readonly purge: PurgeMode;
  readonly engine: SyncMethod;
}

const DETECT: Record<DetectMode, typeof CrawlXsync | typeof CrawlHistory | typeof CrawlChangelog> = {
  xsync: CrawlXsync,
  history: CrawlHistory,
  changelog: CrawlChangelog,
};
const MODE: Record<SyncMode, typeof ModeNormal | typeof ModeRecover> = {
  normal: ModeNormal,
  partial: ModePartial,
  recover: ModeRecover,
};
const SENDMARK: Record<SendmarkMode, typeof SendmarkNormal | typeof SendmarkRsync> = {
  normal: SendmarkNormal,
  rsync: SendmarkRsync,
};
const PURGE: Record<PurgeMode, typeof PurgeNormal | typeof PurgeNoop> = { normal: PurgeNormal, noop: PurgeNoop };
const ENGINE: Record<SyncMethod, typeof EngineRsync | typeof EngineTarssh> = {
  rsync: EngineRsync,
  tarssh: EngineTarssh,
};

export type Master = MasterBase;

/**
 * Later mixins override earlier ones, so each axis replaces MasterBase's unwired hook. Every
 * hook is declared on MasterBase, so the composed instance is a MasterBase; the cast is needed
 * only because ts-mixer's types cannot follow union-typed table entries.
 */
export function buildMaster(c: MasterChoice): new () => Master {
  const Composed = Mixin(
    MasterBase,
    DETECT[c.detect],
    MODE[c.mode],
    SENDMARK[c.sendmark],
    PURGE[c.purge],
    ENGINE[c.engine],
  );
  return Composed as unknown as new () => Master;
}

/** The choice a config makes (gsyncd: use-rsync-xattrs selects the sendmark, ignore-deletes the purge). */
export function choiceFromConfig(cfg: {
  readonly specialSyncMode: SyncMode;
  readonly useRsyncXattrs: boolean;
  readonly ignoreDeletes: boolean;
  readonly syncMethod: SyncMethod;
}): MasterChoice {
  return {
    detect: 'xsync',
    mode: cfg.specialSyncMode,
    sendmark: cfg.useRsyncXattrs ? 'rsync' : 'normal',
    purge: cfg.ignoreDeletes ? 'noop' : 'normal',
    engine: cfg.syncMethod,
  };
}
