// Logger: structured winston logging. One line per batch at info; fields (gfid, path, batch,
// durationMs) go in the metadata object, not into the message text.

import winston from 'winston';
import type { LogLevel } from './config.js';

export type Logger = winston.Logger;

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
}

export function createLogger(opts: LoggerOptions): Logger {
  const transports: winston.transport[] = [];
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
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
