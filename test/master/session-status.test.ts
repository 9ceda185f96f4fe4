// Status of a session whose mass-delete brake is engaged: Held, its cause in one line, the
// deletes held (status, --json, the socket's text and the metrics read the same snapshot).

import { expect } from 'chai';
import { MetricsServer } from '../../src/master/metrics.js';
import { buildStatus, socketText } from '../../src/master/session-status.js';
import type { StatusParts } from '../../src/master/session-status.js';

const parts: StatusParts = {
  master: '/m',
  slave: '/s',
  workerStatus: 'Active',
  stats: undefined,
  stimeMs: 1_700_000_000_000,
  checkpoint: undefined,
  backlog: { files: 0, bytes: 0 },
  startedMs: 1_700_000_000_000,
  fault: undefined,
  nowMs: 1_700_000_010_000,
};

describe('session status with the mass-delete brake', () => {
  it('is Held with the cause and the deletes held, while the worker runs; Active without it', () => {
    const brake = { cause: 'the master root /m is empty', sinceMs: 1, held: 42 };
    const held = buildStatus({ ...parts, brake });
    expect([held.worker_status, held.held, held.deletes_held]).to.deep.equal(['Held', brake.cause, 42]);
    expect(buildStatus({ ...parts, workerStatus: 'Initializing…', brake }).worker_status).to.equal('Held');
    expect(socketText(held)).to.match(/DeletesHeld=42/);
    const plain = buildStatus(parts);
    expect([plain.worker_status, plain.held, plain.deletes_held]).to.deep.equal(['Active', null, 0]);
  });

  it('serves the deletes held and the Held status as metrics', async () => {
    const s = buildStatus({ ...parts, brake: { cause: 'x', sinceMs: 1, held: 7 } });
    const text = await new MetricsServer(
      () => s,
      () => parts.nowMs,
    ).registry.metrics();
    expect(text).to.match(/^georep_deletes_held\{master="\/m",slave="\/s"\} 7$/m);
    expect(text).to.match(/^georep_worker_status\{master="\/m",slave="\/s",status="Held"\} 1$/m);
  });
});
