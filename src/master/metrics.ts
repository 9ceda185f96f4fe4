// MetricsServer: the worker's opt-in Prometheus endpoint (metrics-port; loopback only unless
// metrics-address says otherwise). Every value is read from the same status snapshot the
// socket serves at scrape time, so metrics and `georep status` never disagree.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GeorepError } from '../errors.js';
import type { SessionStatus } from './session-status.js';
import { WORKER_STATUSES } from './session-status.js';

const CRAWL_STATUSES = ['Hybrid Crawl', 'History Crawl', 'Changelog Crawl', 'Idle'] as const;
/** Batch durations worth telling apart: from a small live batch to a long first sync. */
const BATCH_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class MetricsServer {
  readonly registry = new Registry();
  private server: http.Server | undefined;
  private readonly batchSeconds: Histogram;
  private readonly entryOps: Counter;
  private readonly metaOps: Counter;
  /** The snapshot of the scrape in progress: one read of the state per scrape, not per metric. */
  private current: SessionStatus | undefined;

  constructor(
    private readonly snapshot: () => SessionStatus,
    private readonly nowMs: () => number,
  ) {
    const labels = (s: SessionStatus): { master: string; slave: string } => ({ master: s.master, slave: s.slave });
    const now = (): SessionStatus => this.current ?? this.snapshot();
    const gauge = (name: string, help: string, value: (s: SessionStatus) => number | null): void => {
      new Gauge({
        name,
        help,
        labelNames: ['master', 'slave'],
        registers: [this.registry],
        collect() {
          const s = now();
          const v = value(s);
          this.reset();
          if (v !== null) this.set(labels(s), v);
        },
      });
    };
    const oneOf = (
      name: string,
      help: string,
      states: readonly string[],
      pick: (s: SessionStatus) => string | null,
    ) => {
      new Gauge({
        name,
        help,
        labelNames: ['master', 'slave', 'status'],
        registers: [this.registry],
        collect() {
          const s = now();
          this.reset();
          for (const st of states) this.set({ ...labels(s), status: st }, pick(s) === st ? 1 : 0);
        },
      });
    };
    oneOf('georep_worker_status', '1 for the worker status the session is in', WORKER_STATUSES, (s) => s.worker_status);
    oneOf('georep_crawl_status', '1 for the crawl the worker runs', CRAWL_STATUSES, (s) => s.crawl_status);
    gauge('georep_backlog_changelogs', 'changelogs published and not yet synced', (s) => s.backlog_changelogs);
    gauge('georep_backlog_bytes', 'bytes of changelogs published and not yet synced', (s) => s.backlog_bytes);
    gauge('georep_files_synced', 'files whose data reached the slave since the worker started', (s) => s.files_synced);
    gauge('georep_bytes_synced', 'bytes rsync sent since the worker started', (s) => s.bytes_synced);
    gauge('georep_pending_entry_ops', 'entry ops planned and not yet applied', (s) => s.entry);
    gauge('georep_pending_data_files', 'files planned and not yet on the slave', (s) => s.data);
    gauge('georep_pending_meta_ops', 'metadata ops planned and not yet applied', (s) => s.meta);
    gauge('georep_failures', 'entries in the failure ledger (retried until they land)', (s) => s.failures);
    gauge(
      'georep_deletes_held',
      'deletes the mass-delete brake holds back from the slave (until georep release)',
      (s) => s.deletes_held,
    );
    // Absent (not 0) until an audit has completed: no audit is not "no drift".
    gauge(
      'georep_audit_drift_entries',
      'entries the last scheduled audit found different on the slave (not counting changes still on their way)',
      (s) => s.drift,
    );
    gauge('georep_audit_examined_entries', 'entries the last scheduled audit compared', (s) => s.audit_examined);
    gauge(
      'georep_audit_in_flight_entries',
      'divergences the last scheduled audit left out because the entry changed since the last sync',
      (s) => s.audit_in_flight,
    );
    gauge('georep_audit_last_timestamp_seconds', 'unix time the last scheduled audit ended', (s) =>
      s.audit_time === null ? null : Date.parse(s.audit_time) / 1000,
    );
    gauge('georep_stime_age_seconds', 'seconds since the time up to which the slave is in sync', (s) =>
      s.last_synced === null ? null : (this.nowMs() - Date.parse(s.last_synced)) / 1000,
    );
    gauge(
      'georep_checkpoint_lag_seconds',
      'seconds the slave is behind an unreached checkpoint (0 when reached)',
      (s) => {
        if (s.checkpoint_time === null) return null;
        if (s.checkpoint_completed) return 0;
        const synced = s.last_synced === null ? 0 : Date.parse(s.last_synced);
        return Math.max(0, (Date.parse(s.checkpoint_time) - synced) / 1000);
      },
    );
    this.batchSeconds = new Histogram({
      name: 'georep_batch_seconds',
      help: 'time from a batch being planned until its data and metadata were confirmed',
      buckets: BATCH_SECONDS_BUCKETS,
      registers: [this.registry],
    });
    this.entryOps = new Counter({
      name: 'georep_entry_ops_total',
      help: 'entry ops applied',
      registers: [this.registry],
    });
    this.metaOps = new Counter({
      name: 'georep_meta_ops_total',
      help: 'metadata ops applied',
      registers: [this.registry],
    });
  }

  /** Counts one confirmed batch. */
  batchDone(seconds: number, entryOps: number, metaOps: number): void {
    this.batchSeconds.observe(seconds);
    this.entryOps.inc(entryOps);
    this.metaOps.inc(metaOps);
  }

  async listen(port: number, host: string): Promise<number> {
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('only /metrics here\n');
        return;
      }
      this.current = this.snapshot();
      this.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(`${e instanceof Error ? e.message : String(e)}\n`))
        .finally(() => {
          this.current = undefined;
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(
          new GeorepError('USAGE', `cannot serve metrics on ${host}:${port}: ${e.message}; pick another metrics-port`),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    server.unref();
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
