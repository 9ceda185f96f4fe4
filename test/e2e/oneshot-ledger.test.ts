// E2E: a one-shot sync delivers what the failure ledger holds (georep resync, georep repair):
// the crawl alone trusts the index, which says the slave has it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { sessionFixture } from '../support/session-fixture.js';
import { AWKWARD, buildAwkwardTree } from '../support/tree-builder.js';
import { assertTreesEqual } from '../support/tree-compare.js';

describe('e2e: one-shot sync and the failure ledger', function () {
  this.timeout(120_000);
  const s = sessionFixture({ prefix: 'georep-ledger-' });

  const ok = async (...args: string[]): Promise<string> => (await s.expectExit(EXIT.ok, args)).stdout;

  it('syncs again what georep resync queued, then the ledger is empty', async function () {
    buildAwkwardTree(s.master, { bigFileBytes: 256 * 1024, sparseBytes: 2 * 1024 * 1024 });
    await ok('sync', '--oneshot', s.master, s.slave);
    fs.truncateSync(path.join(s.slave, AWKWARD.big), 10); // drift the index knows nothing of
    fs.chmodSync(path.join(s.slave, 'modes'), 0o700);
    await ok('resync', s.master, s.slave, AWKWARD.big);
    await ok('resync', s.master, s.slave, 'modes');
    await ok('sync', '--oneshot', s.master, s.slave);
    assertTreesEqual(s.master, s.slave);
    expect(await ok('failures', s.master, s.slave)).to.include('No failures');
  });
});
