// Logger: structured winston logging. One line per batch at info; fields (gfid, path, batch,
// durationMs) go in the metadata object, not into the message text. Invariant: one event is
// one line on every sink (a message's own newlines are escaped where a sink splits on them).
// winston itself is loaded at the first line a logger writes: loading it took 0.2 s of every
// slave agent's start (a profile of a one-shot re-run), and an agent usually writes nothing.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GeorepError } from './errors.js';
import type winstonModule from 'winston';
import type { LogLevel } from './config.js';

type Winston = typeof winstonModule;

/** An event's fields (gfid, path, batch, durationMs, …). */
export type LogFields = Readonly<Record<string, unknown>>;

/** What georep logs through: a message and its fields at a level, and children with fixed fields. */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** `level` as the agent's JSON lines carry it: one of LogLevel, or winston's others. */
  log(level: string, message: string, fields?: LogFields): void;
  /** A logger adding `fields` to every event (a call's own fields win on a clash, as winston's child). */
  child(fields: LogFields): Logger;
}

/** winston's npm levels, most important first: a level is written when its rank is at most the logger's. */
const RANK: Readonly<Record<string, number>> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

/** The winston logger behind a LazyLogger and its children, made at the first line written. */
class LazyWinston {
  private made: winstonModule.Logger | undefined;
  constructor(
    readonly level: LogLevel,
    private readonly make: (w: Winston) => winstonModule.Logger,
  ) {}

  get(): winstonModule.Logger {
    this.made ??= this.make(createRequire(import.meta.url)('winston') as Winston);
    return this.made;
  }
}

class LazyLogger implements Logger {
  constructor(
    private readonly root: LazyWinston,
    private readonly fields: LogFields | undefined,
  ) {}

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  log(level: string, message: string, fields?: LogFields): void {
    if (!this.writes(level)) return; // winston would drop it too
    const all = this.fields === undefined ? fields : { ...this.fields, ...fields };
    this.root.get().log(level, message, all ?? {});
  }

  child(fields: LogFields): Logger {
    return new LazyLogger(this.root, { ...this.fields, ...fields });
  }

  /** Makes the winston logger now if a line at `level` would be written. */
  preload(level: string): void {
    if (this.writes(level)) this.root.get();
  }

  /** Whether a line at `level` is written at the logger's level. */
  private writes(level: string): boolean {
    return (RANK[level] ?? RANK.silly ?? 6) <= (RANK[this.root.level] ?? 0);
  }
}

/**
 * Loads winston now (about 50 ms of this process's thread) if `log` will write a line at
 * `level`: for a caller with idle time before its first line, such as a one-shot sync whose
 * walk is done while its slave agent still starts, which would otherwise pay the load after
 * the agent answers, on the run's critical path. Any other logger is left alone.
 */
export function preloadLogger(log: Logger, level: LogLevel): void {
  if (!(log instanceof LazyLogger)) return;
  try {
    log.preload(level);
  } catch {
    // Not now: the first line written makes it again, and its error goes where that line's would.
  }
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Append JSON lines to this file; otherwise human-readable lines on stderr. */
  readonly file?: string;
  /** No output at all (tests). */
  readonly silent?: boolean;
  /**
   * 'json' writes JSON lines on stderr too: the slave agent's stderr is read by the master,
   * which re-logs each line with its level and fields (SlaveClient).
   */
  readonly stderrFormat?: 'text' | 'json';
  /**
   * stderr is a systemd journal stream (see isJournalStream): text lines carry sd-daemon's
   * `<N>` priority prefix and no timestamp (journald stamps each entry itself).
   */
  readonly journal?: boolean;
}

/**
 * syslog priority of each level (sd-daemon(3) prefixes, RFC 5424 severities): journald keeps
 * it as PRIORITY=, so `journalctl -p warning` shows warnings and errors only.
 */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { error: 3, warn: 4, info: 6, debug: 7 };

/**
 * True when stderr is the stream systemd connected to journald. systemd sets JOURNAL_STREAM
 * to `<device>:<inode>` of that stream; the variable is inherited by anything the service
 * starts, so only a match with stderr's own device and inode counts (a detached daemon whose
 * stderr is georep.log is not writing to the journal, whatever its environment says).
 */
export function isJournalStream(
  journalStream: string | undefined,
  stderrStat: () => { readonly dev: bigint; readonly ino: bigint },
): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  if (m === null) return false;
  let st: { readonly dev: bigint; readonly ino: bigint };
  try {
    st = stderrStat();
  } catch {
    return false; // no stderr at all (closed fd 2): certainly not the journal
  }
  return st.dev === BigInt(m[1] ?? '') && st.ino === BigInt(m[2] ?? '');
}

/**
 * One journal line: `<priority>LEVEL message {fields}`. journald splits entries at newlines,
 * reads the prefix only at a line's start, and stores a message holding other control
 * characters as a blob journalctl does not show; so control characters are escaped (as the CLI
 * shows file names: `\n`, `\t`, `\xNN`; in the JSON fields as `\u00NN`) and an event stays
 * one readable entry with its priority.
 */
export function journalLine(level: string, message: string, meta: Readonly<Record<string, unknown>>): string {
  const priority = (SYSLOG_PRIORITY as Readonly<Record<string, number>>)[level] ?? SYSLOG_PRIORITY.debug;
  // JSON.stringify escapes C0 controls but leaves DEL and C1 (U+007F-U+009F) raw.
  const extra =
    Object.keys(meta).length > 0 ? ' ' + JSON.stringify(meta).replace(/[\u007f-\u009f]/g, (c) => `\\u${hex4(c)}`) : '';
  return `<${priority}>${level.toUpperCase()} ${escapeControls(message)}${extra}`;
}

const hex4 = (c: string): string => c.charCodeAt(0).toString(16).padStart(4, '0');

function escapeControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function createLogger(opts: LoggerOptions): Logger {
  if (opts.file !== undefined && opts.silent !== true) checkLogFile(opts.file);
  return new LazyLogger(new LazyWinston(opts.level, (winston) => buildWinstonLogger(winston, opts)), undefined);
}

/** The winston logger createLogger's loggers write through (tests look at its transports). */
export function buildWinstonLogger(winston: Winston, opts: LoggerOptions): winstonModule.Logger {
  const transports: winstonModule.transport[] = [];
  if (opts.file !== undefined) {
    transports.push(
      new winston.transports.File({
        filename: opts.file,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }),
    );
  } else if (opts.stderrFormat === 'json') {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        silent: opts.silent ?? false,
        format: winston.format.json(),
      }),
    );
  } else if (opts.journal === true) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        silent: opts.silent ?? false,
        format: winston.format.printf(({ level, message, ...meta }) => journalLine(level, String(message), meta)),
      }),
    );
  } else {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        silent: opts.silent ?? false,
        format: winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf(({ level, message, timestamp, ...meta }) => {
            const extra = Object.keys(meta).length > 0 ? ' ' + JSON.stringify(meta) : '';
            return `${String(timestamp)} ${level.toUpperCase()} ${String(message)}${extra}`;
          }),
        ),
      }),
    );
  }
  return winston.createLogger({ level: opts.level, transports });
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  const drop = (): void => undefined;
  const silent: Logger = { error: drop, warn: drop, info: drop, debug: drop, log: drop, child: () => silent };
  return silent;
}

/**
 * Fails now, in one line, for a log file that cannot be written: winston opens it only at the
 * first line, in whatever step writes it, where the error would stop that step with a stack.
 */
function checkLogFile(file: string): void {
  try {
    makeDirs(path.dirname(path.resolve(file)));
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new GeorepError('USAGE', `cannot write the log file ${file} (${why}): give --log-file a file you can write`);
  }
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdirSync loops without end on a path
 * under /proc (`--log-file /proc/nope/x.log` spun a core), and winston calls it on the log
 * file's folder, which must therefore exist before.
 */
function makeDirs(dir: string): void {
  if (fs.existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeDirs(parent);
  fs.mkdirSync(dir);
}
