// runRepair: `georep repair` from verify's lines in a file or a pipe, read a line at a time
// (memory: one batch of divergent lines), through a Repairer on the session's index and agent.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { SessionRunOptions } from '../master/session-setup.js';
import { parseLine } from './lines.js';
import { sessionRepairer } from './repair.js';
import type { RepairReport } from './repair.js';
import { openSession } from './session.js';

export interface RepairOptions extends Omit<SessionRunOptions, 'clock'> {
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** verify --json output. */
  readonly input: Readable;
  /** Remove extra slave entries even over the mass-delete brake's limits. */
  readonly allowMassDelete: boolean;
}

export async function runRepair(opts: RepairOptions): Promise<RepairReport> {
  const clock = opts.clock ?? systemClock;
  const session = await openSession(opts, clock, true);
  try {
    const index = session.index;
    if (index === undefined) throw new Error('openSession returned no index although one was required');
    const repairer = sessionRepairer(opts, index, session.conn.client, clock, session.stop);
    let lineNo = 0;
    let examined: number | undefined; // from verify's closing line, the base of delete-brake-percent
    for await (const text of createInterface({ input: opts.input, crlfDelay: Infinity })) {
      lineNo++;
      session.stop.throwIfAborted();
      if (text.trim() === '') continue;
      const line = parseLine(text, lineNo);
      if ('done' in line) examined = typeof line.totals?.examined === 'number' ? line.totals.examined : undefined;
      else await repairer.add(line);
    }
    return await repairer.finish(examined);
  } catch (e) {
    if (opts.signal?.aborted === true) throw opts.signal.reason;
    if (session.conn.client.died.aborted) throw session.conn.client.died.reason;
    throw e;
  } finally {
    await session.close();
  }
}
