// runOneshot: one full xsync crawl of the master into the slave, through the same pipeline
// the live daemon uses (crawl → XSYNC-CHANGELOG → process_change → entry ops, Syncer, meta).

import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

export interface Progress {
  readonly phase: 'crawl' | 'sync' | 'done';
  readonly entriesScanned: number;
  readonly filesTotal: number;
  readonly filesDone: number;
  readonly bytesTotal: number;
  readonly bytesDone: number;
}

export interface OneshotOptions {
  /** Absolute, real path of the master root. */
  readonly masterRoot: string;
  /** Absolute path of the slave root (created if missing). */
  readonly slaveRoot: string;
  /** Absolute path of this session's workdir folder (exists). */
  readonly sessionDir: string;
  readonly config: Config;
  /** argv that runs `georep slave`; the slave root is appended. */
  readonly agentCommand: readonly string[];
  readonly log: Logger;
  readonly clock?: Clock;
  readonly onProgress?: (p: Progress) => void;
  readonly signal?: AbortSignal;
}

export interface ItemProblem {
  /** Display path relative to the master root. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface OneshotReport {
  readonly entryOps: number;
  readonly metaOps: number;
  readonly dataFiles: number;
  readonly bytesSent: number;
  readonly deletes: number;
  /** Entries deliberately not replicated (sockets; devices when not root), with the reason. */
  readonly skipped: readonly ItemProblem[];
  /** Entries that should have landed and did not. Non-empty means the slave is not a mirror. */
  readonly failures: readonly ItemProblem[];
  readonly durationMs: number;
}

export async function runOneshot(opts: OneshotOptions): Promise<OneshotReport> {
  void opts;
  throw new Error('runOneshot: not wired yet');
}
