// SqliteLedger: the failure ledger's statement group (table ledger, see sqlite-store.ts) on the
// session index's connection. A FailureLedgerStore of its own; SqliteGfidIndex hands its ledger
// calls to it.

import type { Gfid } from '../changelog/index.js';
import type { FailureLedgerStore, LedgerFailure, LedgerItem } from './failure-ledger-store.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { Db } from './sqlite-store.js';

interface LedgerRow {
  readonly gfid: string;
  readonly path: string;
  readonly code: string;
  readonly errno: string | null;
  readonly message: string;
  readonly attempts: bigint;
  readonly first_ms: bigint;
  readonly last_ms: bigint;
  readonly next_ms: bigint;
  readonly change_ms: bigint | null;
}

function prepare(db: Db) {
  return {
    upsert: db.prepare<[string, string, string, string | null, string, number, number, number, number, number]>(
      `INSERT INTO ledger (gfid, path, code, errno, message, attempts, first_ms, last_ms, next_ms, change_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (gfid) DO UPDATE SET path = excluded.path, code = excluded.code, errno = excluded.errno,
         message = excluded.message, attempts = ledger.attempts + excluded.attempts,
         last_ms = excluded.last_ms, next_ms = excluded.next_ms,
         change_ms = CASE WHEN ledger.change_ms IS NULL THEN NULL ELSE min(ledger.change_ms, excluded.change_ms) END`,
    ),
    get: db.prepare<[string], LedgerRow>('SELECT * FROM ledger WHERE gfid = ?'),
    due: db.prepare<[number], LedgerRow>('SELECT * FROM ledger WHERE next_ms <= ? ORDER BY first_ms'),
    all: db.prepare<[], LedgerRow>('SELECT * FROM ledger ORDER BY first_ms, path'),
    delete: db.prepare<[string]>('DELETE FROM ledger WHERE gfid = ?'),
    count: db.prepare<[], bigint>('SELECT count(*) FROM ledger').pluck(),
    countBefore: db
      .prepare<[number], bigint>('SELECT count(*) FROM ledger WHERE change_ms IS NULL OR change_ms < ?')
      .pluck(),
  };
}

export class SqliteLedger implements FailureLedgerStore {
  private readonly st: ReturnType<typeof prepare>;

  constructor(private readonly conn: SqliteConnection) {
    this.st = prepare(conn.db);
  }

  ledgerRecord(item: LedgerFailure, nowMs: number, nextMs: number, attempts: 0 | 1 = 1): void {
    const { gfid, path, code, errno, message, changeMs } = item;
    this.conn.guard(() =>
      this.st.upsert.run(gfid, path, code, errno, message, attempts, nowMs, nowMs, nextMs, changeMs),
    );
  }

  ledgerGet(gfid: Gfid): LedgerItem | undefined {
    return this.conn.guard(() => {
      const r = this.st.get.get(gfid);
      return r === undefined ? undefined : toLedgerItem(r);
    });
  }

  ledgerDue(nowMs: number): readonly LedgerItem[] {
    return this.conn.guard(() => this.st.due.all(nowMs).map(toLedgerItem));
  }

  ledgerAll(): readonly LedgerItem[] {
    return this.conn.guard(() => this.st.all.all().map(toLedgerItem));
  }

  ledgerResolve(gfid: Gfid): void {
    this.conn.guard(() => this.st.delete.run(gfid));
  }

  ledgerCount(): number {
    return this.conn.guard(() => Number(this.st.count.get() ?? 0n));
  }

  ledgerCountBefore(ms: number): number {
    return this.conn.guard(() => Number(this.st.countBefore.get(ms) ?? 0n));
  }
}

function toLedgerItem(r: LedgerRow): LedgerItem {
  return {
    gfid: r.gfid as Gfid, // stored by ledgerRecord, which takes a Gfid
    path: r.path,
    code: r.code,
    errno: r.errno,
    message: r.message,
    attempts: Number(r.attempts),
    changeMs: r.change_ms === null ? 0 : Number(r.change_ms),
    firstMs: Number(r.first_ms),
    lastMs: Number(r.last_ms),
    nextMs: Number(r.next_ms),
  };
}
