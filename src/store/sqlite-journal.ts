// SqliteJournal: the record journal's statement group (table journal) on the session index's
// connection. A RecordJournal of its own; SqliteGfidIndex hands its journal calls to it.

import type { RecordJournal } from './record-journal.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { Db } from './sqlite-store.js';

function prepare(db: Db) {
  return {
    append: db.prepare<[string]>('INSERT INTO journal (line) VALUES (?)'),
    read: db.prepare<[], { readonly seq: bigint; readonly line: string }>('SELECT seq, line FROM journal ORDER BY seq'),
    drop: db.prepare<[bigint]>('DELETE FROM journal WHERE seq <= ?'),
  };
}

export class SqliteJournal implements RecordJournal {
  private readonly st: ReturnType<typeof prepare>;

  constructor(private readonly conn: SqliteConnection) {
    this.st = prepare(conn.db);
  }

  journalAppend(lines: readonly string[]): void {
    this.conn.guard(() => {
      for (const line of lines) this.st.append.run(line);
    });
  }

  journalRead(): { readonly lines: readonly string[]; readonly lastSeq: bigint } {
    // What is read here is published as a CHANGELOG: never from a file moved aside meanwhile.
    this.conn.assertCurrent();
    return this.conn.guard(() => {
      const rows = this.st.read.all();
      return { lines: rows.map((r) => r.line), lastSeq: rows.at(-1)?.seq ?? 0n };
    });
  }

  journalDrop(seq: bigint): void {
    this.conn.guard(() => this.st.drop.run(seq));
  }
}
