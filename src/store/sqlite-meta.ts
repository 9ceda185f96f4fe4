// SqliteMeta: the session meta's statement group (table meta) on the session index's
// connection. A SessionMeta of its own; SqliteGfidIndex hands its meta calls to it.

import type { MetaKey, SessionMeta } from './session-meta.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { Db } from './sqlite-store.js';

function prepare(db: Db) {
  return {
    get: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
    delete: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
    set: db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };
}

export class SqliteMeta implements SessionMeta {
  private readonly st: ReturnType<typeof prepare>;

  constructor(private readonly conn: SqliteConnection) {
    this.st = prepare(conn.db);
  }

  getMeta(key: MetaKey): string | undefined {
    return this.conn.guard(() => this.st.get.get(key));
  }

  setMeta(key: MetaKey, value: string): void {
    this.conn.guard(() => this.st.set.run(key, value));
  }

  deleteMeta(key: MetaKey): void {
    this.conn.guard(() => this.st.delete.run(key));
  }
}
