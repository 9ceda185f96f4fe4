// SyncEngine: moves one box of files from the master root into the box's staging folder on the
// slave, each at its master-relative path. Invariant: an engine only fills the staging box;
// committing onto slave paths (by gfid) is the agent's.

import type { QuickCheck } from './job.js';

import type { SyncerConfig } from '../config.js';
import type { ErrorCode } from '../errors.js';
import type { Spawner } from './spawner.js';

export type EngineName = 'rsync' | 'tarssh';

/** What the master's engine axis (master/mixins/engine-*.ts) builds its engine from. */
export type EngineOptions = SyncerConfig & {
  /** Set for a slave on another host; its sshCommand is normally the session's ssh-command. */
  readonly remote?: RemoteTarget;
  /** The agent runs as root (hello's isRoot): tar extracts with the archive's owners only then. */
  readonly slaveIsRoot?: boolean;
};

/** Where the staging dir lives when it is not on this host (rsync `-e`, or tar piped into ssh). */
export interface RemoteTarget {
  readonly host: string; // [user@]host
  readonly sshCommand: string; // e.g. `ssh -oBatchMode=yes -i /path/key`, split on whitespace
  /**
   * rsync's --timeout, seconds (slave-timeout): a stream that moves no data for this long exits
   * and its batch is retried. After kills of the connection a seed stream sat idle for minutes,
   * its ssh channel alive but its peer gone, and the session waited without a word.
   */
  readonly ioTimeoutS?: number;
}

export interface TransferRequest {
  /** The master root (absolute): the paths are relative to it. */
  readonly sourceRoot: string;
  /** The box's staging folder on the slave (local path, or a path on RemoteTarget.host). */
  readonly stagingDir: string;
  /** Master-relative paths (raw bytes); the agent made their parent folders in the box. */
  readonly paths: readonly Buffer[];
  readonly quickCheck: QuickCheck;
  /** The box holds sparse files: keep their holes (rsync -S). */
  readonly sparse: boolean;
  /** Aborting kills the transfer's process group; transfer then rejects with code ABORTED. */
  readonly signal?: AbortSignal;
}

/**
 * A transfer that ended with a success or a tolerated exit code. Fatal exits reject with a
 * TransferError (RSYNC_FAILED / TAR_FAILED) instead.
 */
export interface TransferResult {
  readonly exitCode: number;
  readonly bytesSent: number;
  readonly durationMs: number;
  readonly stderrTail: string;
  readonly argv: readonly string[];
  /**
   * True for a tolerated partial exit (rsync 23/24, tar 1 or 2 for vanished members): some
   * files may not have been delivered, so the Syncer checks each committed file against the
   * master's before it counts as done.
   */
  readonly partial: boolean;
}

export interface SyncEngine {
  readonly name: EngineName;
  /** True when the engine does delta transfer against a basis staged by stageData. */
  readonly usesBasis: boolean;
  /**
   * True when a failed run leaves only whole files in the box: rsync writes each file under a
   * temporary name and renames it when complete. False when it writes in place (tar): a file it
   * was cut off in, even one it stamped with the master's mtime, would replace the slave's good
   * copy, so the box of a failed run is dropped without a commit.
   */
  readonly wholeFilesOnFailure: boolean;
  transfer(req: TransferRequest): Promise<TransferResult>;
}

/** What an engine is built from besides its config: the one seam for processes. */
export interface EngineDeps {
  readonly spawner: Spawner;
}

/** The error code an engine's failures carry, in outcomes and in TransferError. */
export const ENGINE_FAILURE_CODE = {
  rsync: 'RSYNC_FAILED',
  tarssh: 'TAR_FAILED',
} as const satisfies Record<EngineName, ErrorCode>;
