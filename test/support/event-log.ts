// A winston logger that keeps every entry carrying an `event` field, for tests that check the
// structured events a component logs (delete_brake, worker_status, …).

import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../src/log.js';

export function eventLogger(): { readonly log: Logger; readonly events: Record<string, unknown>[] } {
  const events: Record<string, unknown>[] = [];
  const sink = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, done) {
      if (info['event'] !== undefined) events.push(info);
      done();
    },
  });
  return {
    log: winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] }),
    events,
  };
}
