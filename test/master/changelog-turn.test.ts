// changelogTurn: a changelog is marked done only when the turn accounts for everything it
// carried: landed, or each problem in the failure ledger. A batch whose outcome is unknown
// (the slave agent died mid-batch, the worker was stopped) keeps its changelogs and stime.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangelogConsumer } from '../../src/changelog/consumer.js';
import { ChangelogWriter, ROOT_GFID } from '../../src/changelog/index.js';
import { SqliteGfidIndex } from '../../src/store/index.js';
import { RECORDER_KEYS } from '../../src/changelog/recorder/recorder.js';
import { resolveConfig } from '../../src/cli/config-loader.js';
import { GeorepError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { buildMaster } from '../../src/master/builder.js';
import type { MasterDeps } from '../../src/master/master-base.js';
import type { MethodName, SlaveCaller } from '../../src/slave/index.js';
import { ManualClock } from '../support/manual-clock.js';

const cfg = resolveConfig([{ source: 'the test', values: { 'sync-jobs': 1 } }]);
const COVERED_MS = 200_000;

describe('changelogTurn', () => {
  let tmp: string;
  let index: SqliteGfidIndex;
  let changelogs: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'georep-turn-'));
    changelogs = path.join(tmp, 'changelogs');
    fs.mkdirSync(changelogs);
    fs.mkdirSync(path.join(tmp, 'master'));
    index = SqliteGfidIndex.open(':memory:');
    index.setMeta(RECORDER_KEYS.historyStart, '0');
    index.setMeta(RECORDER_KEYS.recordedUpTo, String(COVERED_MS));
    // The recorder saw the root's attributes change: the worker sends them as a meta op.
    const writer = ChangelogWriter.open(changelogs, 'CHANGELOG', 100);
    writer.append({ kind: 'M', gfid: ROOT_GFID, fop: 'SETATTR' });
    writer.close();
  });
  afterEach(() => {
    index.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A slave whose metaOps calls fail as a dying agent's do, `failing` times. */
  function slave(failing: number): { caller: SlaveCaller; calls: MethodName[] } {
    const calls: MethodName[] = [];
    const caller: SlaveCaller = {
      call: (method) => {
        calls.push(method);
        if (method === 'metaOps' && failing-- > 0)
          return Promise.reject(new GeorepError('AGENT_DIED', 'slave agent was killed by SIGKILL'));
        if (method === 'metaOps') return Promise.resolve({ failures: [] } as never);
        if (method === 'setStime') return Promise.resolve(null as never);
        return Promise.reject(new Error(`unexpected slave call ${method}`));
      },
    };
    return { caller, calls };
  }

  async function turn(caller: SlaveCaller): Promise<{ turns: { clean: boolean; stime: number }[]; codes: string[] }> {
    const m = new (buildMaster({
      detect: 'changelog',
      mode: 'normal',
      sendmark: 'normal',
      purge: 'normal',
      engine: 'rsync',
    }))();
    const turns: { clean: boolean; stime: number }[] = [];
    const deps: MasterDeps = {
      rootPath: path.join(tmp, 'master'),
      root: Buffer.from(path.join(tmp, 'master')),
      index,
      slave: caller,
      ownsNames: false,
      log: silentLogger(),
      clock: new ManualClock(),
      xsyncDir: tmp,
      statsFile: path.join(tmp, 'status.json'),
      stagingDir: '/nonexistent',
      slaveIsRoot: false,
      fullCrawl: false,
      consumer: new ChangelogConsumer(changelogs, index),
      onTurn: (stime) =>
        turns.push({ stime, clean: index.ledgerCount() === 0 && fs.readdirSync(changelogs).length === 0 }),
      crawl: cfg,
      syncer: cfg,
      onSkip: () => undefined,
    };
    m.start(deps);
    await m.run(1);
    await m.stop();
    return { turns, codes: m.stats.failures.map((f) => f.code) };
  }

  it('keeps the changelogs and stime of a batch whose outcome is unknown, and reads them again', async () => {
    const dying = slave(1);
    // Counted as a failure too: a one-shot sync would not exit 0 on it.
    expect(await turn(dying.caller)).to.deep.equal({ turns: [{ stime: 0, clean: false }], codes: ['AGENT_DIED'] });
    expect(fs.readdirSync(changelogs)).to.deep.equal(['CHANGELOG.100']);
    expect(index.getMeta('stime')).to.equal(undefined);

    const healthy = slave(0);
    expect(await turn(healthy.caller)).to.deep.equal({ turns: [{ stime: COVERED_MS, clean: true }], codes: [] });
    expect(healthy.calls).to.deep.equal(['metaOps', 'setStime']);
    expect(fs.readdirSync(changelogs)).to.deep.equal([]);
    expect(index.getMeta('stime')).to.equal(String(COVERED_MS));
  });
});
