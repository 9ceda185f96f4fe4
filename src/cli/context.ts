// CLI context: everything a georep verb takes from its process, passed in explicitly so verbs
// are testable and nothing reaches for process.* or a singleton. Built once by main.ts.

import type { Readable, Writable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { StartupEnv } from './env.js';
import type { ExitCode } from './exit-codes.js';
import type { Schema } from './options.js';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** stderr is a terminal (progress bar instead of log lines). */
  readonly stderrIsTTY: boolean;
  /** stderr is systemd's journal stream: log lines get `<N>` priority prefixes (log.ts). */
  readonly stderrIsJournal: boolean;
  readonly env: StartupEnv;
  /** argv that runs this same CLI: [node, ...execArgv, main script]. */
  readonly selfCommand: readonly string[];
  /** This invocation's arguments (after the main script): what a rerun under a heap cap repeats. */
  readonly argv: readonly string[];
  /** V8's heap limit of this process, MiB (heap-cap-rerun.ts). */
  readonly heapLimitMiB: number;
  /** argv that starts the slave agent's slim entry (src/cli/agent-main.ts); ROOT is appended. */
  readonly agentCommand: readonly string[];
  readonly clock: Clock;
  /**
   * Aborted when stdout's reader went away (`georep verify --json | head`: a closed pipe). A verb
   * whose work is its output stops on it; the others finish, their output dropped, never a crash.
   */
  readonly outputGone: AbortSignal;
  /** Turns SIGINT/SIGTERM/SIGHUP into an abort for the duration of a run; call release when done. */
  readonly trapSignals: () => { readonly signal: AbortSignal; readonly release: () => void };
}

/** What a verb's action sees: the io, the loaded schema, and where to put its exit code. */
export interface CliContext {
  readonly io: CliIo;
  readonly schema: Schema;
  setExit(code: ExitCode): void;
}
