// XsyncSink: the crawler's RecordSink. Records go into an XSYNC-CHANGELOG file; flush()
// publishes it, hands it to process_change and removes it once processed (the next crawl
// regenerates whatever a failed batch did not deliver, so keeping it buys nothing).

import fs from 'node:fs';
import type { Clock } from '../clock.js';
import { ChangelogWriter } from '../changelog/index.js';
import type { Change } from '../changelog/index.js';
import type { RecordSink } from './crawler.js';

export class XsyncSink implements RecordSink {
  private writer: ChangelogWriter | undefined;
  /** Files handed over while holding: their processing runs on (the turn's BatchPipeline keeps their order). */
  private readonly held: Promise<void>[] = [];

  /**
   * `holdWhile`: while it returns true, flush() hands the closed file over and returns at once,
   * so the crawl walks on (a seed copy is running, and batches wait for it anyway); drain()
   * then waits for every file handed over. The crawl's saved position may run ahead of processed batches: a resumed
   * crawl still covers every directory, and an entry never confirmed is found new again.
   */
  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly process: (file: string) => Promise<void>,
    private readonly holdWhile: () => boolean = () => false,
  ) {}

  get pending(): number {
    return this.writer?.count ?? 0;
  }

  append(c: Change): void {
    this.writer ??= ChangelogWriter.open(this.dir, 'XSYNC-CHANGELOG', Math.floor(this.clock.nowMs() / 1000));
    this.writer.append(c);
  }

  async flush(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    if (writer === undefined) return;
    if (writer.count === 0) {
      writer.discard();
      return;
    }
    const file = writer.close();
    const run = this.process(file).then(() => fs.rmSync(file, { force: true }));
    if (!this.holdWhile()) return run;
    run.catch(() => undefined); // drain() reports it
    this.held.push(run);
  }

  /** Waits until every file handed over is processed; rejects with the first failure. */
  async drain(): Promise<void> {
    const runs = this.held.splice(0);
    const failed = (await Promise.allSettled(runs)).find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
