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

  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly process: (file: string) => Promise<void>,
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
    await this.process(file);
    fs.rmSync(file, { force: true });
  }
}
