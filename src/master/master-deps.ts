// MasterDeps: what a Master runs with (gsyncd's resource and config objects, made explicit):
// the roots, the session index, the slave, the clock and log, the config slices and the
// callbacks the caller (one-shot sync or live worker) listens on. Its own file so that the
// pieces a master is made of (batch pipeline, failure ledger, turns) can name it without
// importing MasterBase, which imports them.

import type { Clock } from '../clock.js';
import type { CrawlConfig, SyncerConfig } from '../config.js';
import type { ChangelogConsumer } from '../changelog/consumer.js';
import type { GfidIndex } from '../store/index.js';
import type { Logger } from '../log.js';
import type { SlaveCaller } from '../slave/index.js';
import type { RemoteTarget } from '../syncer/index.js';
import type { BatchOutcome } from './batch-runner.js';
import type { CrawlStats } from './crawl-stats.js';
import type { DeleteBrake } from './delete-brake.js';
import type { SeedRun } from './seeding.js';
import type { DirPrefetch } from './dir-prefetch.js';

export interface MasterDeps {
  /** The master root, as given (absolute, real path) and as bytes for joining raw names. */
  readonly rootPath: string;
  readonly root: Buffer;
  readonly index: GfidIndex;
  readonly slave: SlaveCaller;
  readonly log: Logger;
  readonly clock: Clock;
  /** Where XSYNC-CHANGELOG files are written. */
  readonly xsyncDir: string;
  readonly statsFile: string;
  readonly stagingDir: string;
  readonly slaveIsRoot: boolean;
  /** The slave host, for a slave reached over ssh: engines and the seed copy send there. */
  readonly remote?: RemoteTarget;
  /** No trustworthy record of what the slave holds: send everything, purge unknown slave entries. */
  readonly fullCrawl: boolean;
  /**
   * This process assigns gfids and keeps names (one-shot sync). False in the live daemon,
   * where the recorder owns them and this process only reads them.
   */
  readonly ownsNames: boolean;
  /** The recorder's changelogs (live daemon only). */
  readonly consumer?: ChangelogConsumer;
  /** Resolves when there may be new work before the change interval is over (a changelog published). */
  readonly wake?: (signal: AbortSignal) => Promise<void>;
  /** After each live turn: the stime now, unix ms (checkpoints, status; store/sync-points.ts). */
  readonly onTurn?: (stimeMs: number) => void;
  /** A batch was confirmed (metrics): seconds from planning to confirmation, and its ops. */
  readonly onBatchDone?: (seconds: number, outcome: BatchOutcome) => void;
  readonly crawl: CrawlConfig;
  readonly syncer: SyncerConfig;
  /** The mass-delete brake (delete-brake.ts); none in tests that do not exercise it. */
  readonly brake?: DeleteBrake;
  /** One-shot `--allow-mass-delete`: a crawl's deletes go even over the brake's limits. */
  readonly allowMassDelete?: boolean;
  /**
   * A first sync with seed-copy on: the bulk copy a full crawl starts (if the session has not
   * yet: the live daemon starts it while the recorder indexes) and adopts from. Any other crawl
   * ignores it.
   */
  readonly seed?: SeedRun;
  /** Directories a one-shot sync listed while it reached the slave (dir-prefetch.ts); a full crawl ignores them. */
  readonly prefetch?: DirPrefetch;
  readonly onSkip: (path: string, reason: string) => void;
  readonly onBatch?: (stats: CrawlStats) => void;
  readonly signal?: AbortSignal;
}
