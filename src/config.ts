// Config: the resolved, frozen options of one session (every field present). The loader in
// src/cli merges conf/georep.conf defaults, the session's saved values and command-line flags
// once; components receive only their slice. Nothing reads a config singleton.

export const SYNC_MODES = ['normal', 'partial', 'recover'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];
export const SYNC_METHODS = ['rsync', 'tarssh'] as const;
export type SyncMethod = (typeof SYNC_METHODS)[number];
export const WATCHER_KINDS = ['inotify', 'parcel', 'chokidar'] as const;
export type WatcherKind = (typeof WATCHER_KINDS)[number];
export const COMPRESS_KINDS = ['off', 'ssh', 'zstd', 'zlib'] as const;
export type CompressKind = (typeof COMPRESS_KINDS)[number];
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly syncJobs: number; // sync-jobs
  readonly changeInterval: number; // change-interval (seconds)
  readonly changelogBatchSize: number; // changelog-batch-size (bytes of changelog per batch)
  readonly xsyncChangelogEntries: number; // xsync-changelog-entries (records per XSYNC file)
  readonly syncBoxFiles: number; // sync-box-files (max files per rsync run)
  readonly crawlRate: number; // crawl-rate (entries per second, 0 = unlimited)
  readonly verifyRate: number; // verify-rate (entries per second, 0 = unlimited)
  readonly auditInterval: number; // audit-interval (seconds, 0 = no scheduled audit)
  readonly auditSample: number; // audit-sample (fraction of entries in (0, 1])
  readonly auditChecksum: boolean; // audit-checksum (compare contents too)
  readonly auditRepair: boolean; // audit-repair (repair the drift found)
  readonly ignoreDeletes: boolean; // ignore-deletes
  readonly deleteBrakePercent: number; // delete-brake-percent (0 = off)
  readonly deleteBrakeCount: number; // delete-brake-count (0 = off)
  readonly deleteBrakeMin: number; // delete-brake-min (deletes before the percent applies)
  readonly seedCopy: boolean; // seed-copy
  readonly specialSyncMode: SyncMode; // special-sync-mode
  readonly useRsyncXattrs: boolean; // use-rsync-xattrs
  readonly syncMethod: SyncMethod; // sync-method
  readonly rsyncCommand: string; // rsync-command
  readonly rsyncOptions: string; // rsync-options (extra args, split on whitespace)
  readonly sshCommand: string; // ssh-command
  readonly sshPort: number; // ssh-port (0 = the address's, else 22)
  readonly sshOptions: string; // ssh-options (extra args, split on whitespace)
  readonly sshIdentity: string; // ssh-identity ('' = ssh's defaults)
  readonly remoteGeorep: string; // remote-georep (split on whitespace)
  readonly slaveTimeout: number; // slave-timeout (seconds)
  readonly reconnectProbeInterval: number; // reconnect-probe-interval (seconds, 0 = off)
  readonly compress: CompressKind; // compress
  readonly compressLevel: number; // compress-level (0 = the codec's default)
  readonly logLevel: LogLevel; // log-level
  readonly checkpoint: string; // checkpoint ('' | 'now' | unix seconds)
  readonly watcher: WatcherKind; // watcher
  readonly watcherPolling: boolean; // watcher-polling
  readonly watcherPollInterval: number; // watcher-poll-interval (ms)
  readonly rolloverQuiet: number; // rollover-quiet (ms, 0 = every change-interval only)
  readonly sweepPublishInterval: number; // sweep-publish-interval (ms, 0 = when the sweep ends)
  readonly watchSettle: number; // watch-settle (ms)
  readonly watchCookieTimeout: number; // watch-cookie-timeout (ms)
  readonly restartBackoff: number; // restart-backoff (seconds)
  readonly restartBackoffMax: number; // restart-backoff-max (seconds)
  readonly faultyAfterExits: number; // faulty-after-exits (worker exits in a row without a completed turn)
  readonly stopTimeout: number; // stop-timeout (seconds)
  readonly reconcileInterval: number; // reconcile-interval (seconds, 0 = never)
  readonly blindWriteGap: number; // blind-write-gap (seconds)
  readonly daemonHeap: number; // daemon-heap (MiB)
  readonly retryBackoff: number; // retry-backoff (seconds)
  readonly retryBackoffMax: number; // retry-backoff-max (seconds)
  readonly metricsPort: number; // metrics-port (0 = off)
  readonly metricsAddress: string; // metrics-address
}

/** The slice the Syncer and its engines need. */
export type SyncerConfig = Pick<
  Config,
  | 'syncJobs'
  | 'syncBoxFiles'
  | 'syncMethod'
  | 'rsyncCommand'
  | 'rsyncOptions'
  | 'sshCommand'
  | 'useRsyncXattrs'
  | 'compress'
  | 'compressLevel'
>;

/** The slice that shapes the ssh link to a remote slave. */
export type SshConfig = Pick<
  Config,
  'sshCommand' | 'sshPort' | 'sshOptions' | 'sshIdentity' | 'remoteGeorep' | 'slaveTimeout' | 'compress'
>;

/** The slice the crawl and process_change need. */
export type CrawlConfig = Pick<
  Config,
  | 'xsyncChangelogEntries'
  | 'changelogBatchSize'
  | 'crawlRate'
  | 'ignoreDeletes'
  | 'deleteBrakePercent'
  | 'deleteBrakeCount'
  | 'deleteBrakeMin'
  | 'seedCopy'
  | 'specialSyncMode'
  | 'changeInterval'
  | 'retryBackoff'
  | 'retryBackoffMax'
>;
