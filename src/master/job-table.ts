// JobTable (gsyncd's jobtab): jobs registered under a key while a turn runs; wait(key) settles
// them all and reports success only if every one succeeded. The caller then sends the mark
// (stime), so a turn with any failed job never advances stime.

export type Job = () => Promise<boolean>;

export class JobTable {
  private readonly table = new Map<string, { label: string; result: Promise<boolean> }[]>();

  /** Starts `job` now and files its result under `key`. */
  add(key: string, label: string, job: Job): void {
    const list = this.table.get(key) ?? [];
    // A job that throws counts as failed here; its error was already recorded by the job itself.
    list.push({ label, result: job().catch(() => false) });
    this.table.set(key, list);
  }

  /** Settles and forgets every job under `key`; true when all succeeded. */
  async wait(key: string): Promise<{ ok: boolean; failed: readonly string[] }> {
    const list = this.table.get(key) ?? [];
    this.table.delete(key);
    const results = await Promise.all(list.map(async (j) => ({ label: j.label, ok: await j.result })));
    const failed = results.filter((r) => !r.ok).map((r) => r.label);
    return { ok: failed.length === 0, failed };
  }
}
