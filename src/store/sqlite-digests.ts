// SqliteDigests: the directory digests' statement group (table dir_digests and the connection's
// temp tables staged_digests/staged_children, see sqlite-store.ts) on the session index's
// connection. A DigestStore of its own; SqliteGfidIndex hands its digest calls to it.

import { storableNs } from '../changelog/index.js';
import type { Gfid } from '../changelog/index.js';
import type { DigestStore, DirDigest, StagedChild } from './digest-store.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { Db } from './sqlite-store.js';

function prepare(db: Db) {
  return {
    clear: db.prepare('DELETE FROM dir_digests'),
    get: db.prepare<[string], { readonly digest: Buffer; readonly subdirs: string }>(
      'SELECT digest, subdirs FROM dir_digests WHERE gfid = ?',
    ),
    set: db.prepare<[string, Buffer, string]>(
      `INSERT INTO dir_digests (gfid, digest, subdirs) VALUES (?, ?, ?)
       ON CONFLICT (gfid) DO UPDATE SET digest = excluded.digest, subdirs = excluded.subdirs`,
    ),
    stage: db.prepare<[string, Buffer, string, number]>(
      `INSERT OR REPLACE INTO staged_digests (gfid, digest, subdirs, children) VALUES (?, ?, ?, ?)`,
    ),
    stageChild: db.prepare<[string, string, string, bigint, number, bigint, bigint, number, number, number]>(
      `INSERT INTO staged_children (dir, gfid, type, ino, size, mtime_ns, ctime_ns, mode, uid, gid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // A staged digest is stored when its directory still has exactly the children listed, each
    // named there and confirmed with what was listed: what a crawl then would find clean.
    commitStaged: db.prepare(
      `INSERT INTO dir_digests (gfid, digest, subdirs)
       SELECT s.gfid, s.digest, s.subdirs FROM staged_digests s
       WHERE (SELECT count(*) FROM names n WHERE n.pargfid = s.gfid) = s.children
         AND s.gfid NOT IN (
           SELECT c.dir FROM staged_children c LEFT JOIN objects o ON o.gfid = c.gfid
           WHERE o.gfid IS NULL OR o.type IS NOT c.type OR o.ino IS NOT c.ino OR o.size IS NOT c.size
             OR o.mtime_ns IS NOT c.mtime_ns OR o.ctime_ns IS NOT c.ctime_ns OR o.mode IS NOT c.mode
             OR o.uid IS NOT c.uid OR o.gid IS NOT c.gid
             OR NOT EXISTS (SELECT 1 FROM names n WHERE n.gfid = c.gfid AND n.pargfid = c.dir))
       ON CONFLICT (gfid) DO UPDATE SET digest = excluded.digest, subdirs = excluded.subdirs`,
    ),
    dropStaged: db.prepare('DELETE FROM staged_digests'),
    dropStagedChildren: db.prepare('DELETE FROM staged_children'),
  };
}

export class SqliteDigests implements DigestStore {
  private readonly st: ReturnType<typeof prepare>;

  constructor(private readonly conn: SqliteConnection) {
    this.st = prepare(conn.db);
  }

  dirDigest(gfid: Gfid): DirDigest | undefined {
    return this.conn.guard(() => {
      const row = this.st.get.get(gfid);
      if (row === undefined) return undefined;
      // Stored by setDirDigest from gfids the index minted; the triggers keep them current.
      const subdirs = row.subdirs === '' ? [] : (row.subdirs.split(',') as Gfid[]);
      return { digest: row.digest, subdirs };
    });
  }

  setDirDigest(gfid: Gfid, d: DirDigest): void {
    this.conn.guard(() => this.st.set.run(gfid, d.digest, d.subdirs.join(',')));
  }

  stageDirDigest(gfid: Gfid, d: DirDigest, children: readonly StagedChild[]): void {
    this.conn.guard(() => {
      this.st.stage.run(gfid, d.digest, d.subdirs.join(','), children.length);
      for (const c of children) {
        const a = c.attrs;
        const [m, c2] = [storableNs(a.mtimeNs), storableNs(a.ctimeNs)];
        this.st.stageChild.run(gfid, c.gfid, c.type, c.ino, a.size, m, c2, a.mode, a.uid, a.gid);
      }
    });
  }

  commitStagedDigests(): number {
    return this.conn.guard(() =>
      this.conn.db.transaction(() => {
        const n = this.st.commitStaged.run().changes;
        this.dropStaged();
        return n;
      })(),
    );
  }

  dropStagedDigests(): void {
    this.conn.guard(() => this.dropStaged());
  }

  /** Forgets every stored digest. Unguarded: for clearSynced, inside its own guarded call. */
  clearAll(): void {
    this.st.clear.run();
  }

  private dropStaged(): void {
    this.st.dropStaged.run();
    this.st.dropStagedChildren.run();
  }
}
