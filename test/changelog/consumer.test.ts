// ChangelogConsumer: history() only when the recorder's history reaches back far enough;
// scan() reads coverage before listing; done() removes a file (disk use stays bounded).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogWriter } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { ChangelogConsumer } from '../../src/changelog/consumer.js';
import { RECORDER_KEYS } from '../../src/changelog/recorder/recorder.js';

describe('ChangelogConsumer', () => {
  let dir: string;
  let index: SqliteGfidIndex;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-consumer-')), 'changelogs');
    index = SqliteGfidIndex.open(':memory:');
  });
  afterEach(() => {
    index.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('answers history only from where the recorder history starts, and purges done files', () => {
    const c = new ChangelogConsumer(dir, index);
    c.register();
    expect(c.history(0)).to.equal(undefined); // no index built yet
    index.setMeta(RECORDER_KEYS.historyStart, '5000');
    index.setMeta(RECORDER_KEYS.recordedUpTo, '9000');
    const w = ChangelogWriter.open(dir, 'CHANGELOG', 8);
    w.append({ kind: 'D', gfid: '00000000-0000-0000-0000-000000000002' as never });
    w.close();
    expect(c.history(4999)).to.equal(undefined);
    const h = c.history(5000);
    expect(h?.recordedUpToMs).to.equal(9000);
    expect(h?.files.map((f) => f.name)).to.deep.equal(['CHANGELOG.8']);
    expect(c.getchanges().map((f) => f.name)).to.deep.equal(['CHANGELOG.8']);
    for (const f of c.getchanges()) c.done(f);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
