// A winston logger that hands each entry's message to the test (eventLogger keeps only entries
// with an `event` field): the test's seam into a run's steps, by the messages it logs.

import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../src/log.js';

/** A debug-level logger that calls `onMessage` with each message, in order. */
export function messageLogger(onMessage: (message: string) => void = () => undefined): Logger {
  const sink = new Writable({
    objectMode: true,
    write(info: { message?: unknown }, _enc, done) {
      onMessage(String(info.message));
      done();
    },
  });
  return winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
}
