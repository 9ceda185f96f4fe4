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

describe('session status with the scheduled audit', () => {
  it('says null (never), not 0, until an audit completed; then its time, counts and drift', async () => {
    const never = buildStatus(parts);
    expect([
      never.drift,
      never.audit_time,
      never.audit_examined,
      never.audit_in_flight,
      never.audit_repaired,
    ]).to.deep.equal([null, null, null, null, null]);
    const none = await new MetricsServer(
      () => never,
      () => parts.nowMs,
    ).registry.metrics();
    expect(none).to.not.match(/^georep_audit_drift_entries\{/m);

    const audit = {
      startedMs: 1_700_000_005_000,
      endedMs: 1_700_000_006_000,
      examined: 120,
      drift: 2,
      inFlight: 5,
      known: 1,
      sample: 1,
      checksum: false,
      repaired: null,
    };
    const s = buildStatus({ ...parts, audit });
    expect([s.drift, s.audit_time, s.audit_examined, s.audit_in_flight, s.audit_repaired]).to.deep.equal([
      2,
      new Date(audit.endedMs).toISOString(),
      120,
      5,
      null,
    ]);
    const text = await new MetricsServer(
      () => s,
      () => parts.nowMs,
    ).registry.metrics();
    expect(text).to.match(/^georep_audit_drift_entries\{master="\/m",slave="\/s"\} 2$/m);
    expect(text).to.match(/^georep_audit_examined_entries\{master="\/m",slave="\/s"\} 120$/m);
    expect(text).to.match(/^georep_audit_last_timestamp_seconds\{master="\/m",slave="\/s"\} 1700000006$/m);
    // A clean audit is 0, not absent.
    expect(buildStatus({ ...parts, audit: { ...audit, drift: 0 } }).drift).to.equal(0);
  });
});
