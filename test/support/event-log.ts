// A winston logger that keeps every entry carrying an `event` field, for tests that check the
// structured events a component logs (delete_brake, worker_status, …).

import { readFileSync } from 'node:fs';
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

/** The entries with event `name` in a session log file (georep.log: one entry a line, its fields as JSON). */
export function logEvents(file: string, name: string): Record<string, unknown>[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const at = line.indexOf('{');
    if (at < 0 || !line.includes(`"event":"${name}"`)) continue;
    try {
      out.push(JSON.parse(line.slice(at)) as Record<string, unknown>);
    } catch {
      // not a line with JSON fields
    }
  }
  return out;
}
