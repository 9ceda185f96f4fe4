// SqliteHeldDeletes: HeldDeletes in the session's index database (table held_deletes, see
// sqlite-store.ts). It runs on the gfid index's connection (SqliteGfidIndex.heldDeletes()),
// whose quarantine replaces the connection: statements are prepared per connection.

import type { HeldDelete, HeldDeletes, NewHeldDelete } from './held-deletes.js';
import type { EntryName, Gfid } from '../changelog/index.js';
import type { Db } from './sqlite-store.js';

interface Row {
  readonly seq: bigint;
  readonly gfid: string;
  readonly pargfid: string;
  readonly name: Buffer;
  readonly dir: bigint;
  readonly change_ms: bigint;
  readonly held_ms: bigint;
}

function prepare(db: Db) {
  return {
    insert: db.prepare<[string, string, Buffer, number, number, number]>(
      `INSERT OR IGNORE INTO held_deletes (gfid, pargfid, name, dir, change_ms, held_ms) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    page: db.prepare<[number, number], Row>('SELECT * FROM held_deletes WHERE seq > ? ORDER BY seq LIMIT ?'),
    count: db.prepare<[], bigint>('SELECT count(*) FROM held_deletes').pluck(),
    countBefore: db.prepare<[number], bigint>('SELECT count(*) FROM held_deletes WHERE change_ms < ?').pluck(),
    lastSeq: db.prepare<[], bigint | null>('SELECT max(seq) FROM held_deletes').pluck(),
    heldAt: db
      .prepare<[string, Buffer], bigint>('SELECT 1 FROM held_deletes WHERE pargfid = ? AND name = ? LIMIT 1')
      .pluck(),
    drop: db.prepare<[number, number]>('DELETE FROM held_deletes WHERE seq > ? AND seq <= ?'),
  };
}

type Statements = ReturnType<typeof prepare>;

export class SqliteHeldDeletes implements HeldDeletes {
  private prepared: { db: Db; st: Statements } | undefined;

  /** `use` runs a call on the index's current connection, with the index's corruption handling. */
  constructor(private readonly use: <T>(fn: (db: Db) => T) => T) {}

  hold(items: readonly NewHeldDelete[], nowMs: number): void {
    // IMMEDIATE, as the index's own transactions: the recorder writes to the same file.
    this.run((st, db) =>
      db
        .transaction(() => {
          for (const i of items) st.insert.run(i.gfid, i.entry.pargfid, i.entry.name, i.dir ? 1 : 0, i.changeMs, nowMs);
        })
        .immediate(),
    );
  }

  page(afterSeq: number, limit: number): readonly HeldDelete[] {
    return this.run((st) => st.page.all(afterSeq, limit).map(toHeld));
  }

  count(): number {
    return this.run((st) => Number(st.count.get() ?? 0n));
  }

  countBefore(ms: number): number {
    return this.run((st) => Number(st.countBefore.get(ms) ?? 0n));
  }

  lastSeq(): number {
    return this.run((st) => Number(st.lastSeq.get() ?? 0n));
  }

  heldAt(at: EntryName): boolean {
    return this.run((st) => st.heldAt.get(at.pargfid, at.name) !== undefined);
  }

  drop(afterSeq: number, uptoSeq: number): void {
    this.run((st) => st.drop.run(afterSeq, uptoSeq));
  }

  private run<T>(fn: (st: Statements, db: Db) => T): T {
    return this.use((db) => {
      if (this.prepared?.db !== db) this.prepared = { db, st: prepare(db) };
      return fn(this.prepared.st, db);
    });
  }
}

function toHeld(r: Row): HeldDelete {
  return {
    seq: Number(r.seq),
    gfid: r.gfid as Gfid, // stored by hold(), which takes a Gfid
    entry: { pargfid: r.pargfid as Gfid, name: r.name },
    dir: r.dir !== 0n,
    changeMs: Number(r.change_ms),
    heldMs: Number(r.held_ms),
  };
}
