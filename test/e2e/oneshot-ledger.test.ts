// E2E: a one-shot sync delivers what the failure ledger holds (georep resync, georep repair):
// the crawl alone trusts the index, which says the slave has it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, runGeorep } from '../support/cli.js';
import { AWKWARD, buildAwkwardTree } from '../support/tree-builder.js';
import { assertTreesEqual } from '../support/tree-compare.js';

describe('e2e: one-shot sync and the failure ledger', function () {
  this.timeout(120_000);
  let tmp: string;
  let master: string;
  let slave: string;
  let work: string;

  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-ledger-')));
    master = path.join(tmp, 'master');
    slave = path.join(tmp, 'slave');
    work = path.join(tmp, 'work');
  });
  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ok = async (...args: string[]): Promise<string> => {
    const r = await runGeorep([...args, '--workdir', work]);
    expect(r.exitCode, describeRun(args, r)).to.equal(EXIT.ok);
    return r.stdout;
  };

  it('syncs again what georep resync queued, then the ledger is empty', async function () {
    buildAwkwardTree(master, { bigFileBytes: 256 * 1024, sparseBytes: 2 * 1024 * 1024 });
    await ok('sync', '--oneshot', master, slave);
    fs.truncateSync(path.join(slave, AWKWARD.big), 10); // drift the index knows nothing of
    fs.chmodSync(path.join(slave, 'modes'), 0o700);
    await ok('resync', master, slave, AWKWARD.big);
    await ok('resync', master, slave, 'modes');
    await ok('sync', '--oneshot', master, slave);
    assertTreesEqual(master, slave);
    expect(await ok('failures', master, slave)).to.include('No failures');
  });
});
