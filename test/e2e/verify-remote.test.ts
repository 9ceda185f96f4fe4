// E2E: georep verify and repair against a remote slave over real ssh (a network-namespace host
// with its own sshd, test/support/ssh-host.ts): the agent lists and hashes the slave there,
// only listings and digests cross the link; tampering is named, repaired, and an independent
// walk agrees afterwards.

import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { RunResult } from '../support/cli.js';
import { remoteSessionFixture } from '../support/remote-session.js';
import { AWKWARD, buildAwkwardTree, mutate } from '../support/tree-builder.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

describe('e2e: verify and repair a remote slave over ssh', function () {
  this.timeout(180_000);
  const s = remoteSessionFixture({ prefix: 'georep-vremote-', rootName: 'slave root', stop: false });

  const run = (exit: number, ...args: string[]): Promise<RunResult> => s.expectExit(exit, args);

  it('names tampering on the remote slave, repairs it, and then finds nothing', async function () {
    buildAwkwardTree(s.master, { bigFileBytes: 256 * 1024, sparseBytes: 1024 * 1024 });
    await s.setUp();
    await run(EXIT.ok, 'sync', '--oneshot', s.master, s.slave);
    expect((await run(EXIT.ok, 'verify', '--checksum', s.master, s.slave)).stdout).to.include('No divergence');

    mutate(s.root, [
      { op: 'rewrite-keep-mtime', path: AWKWARD.backslash },
      { op: 'delete', path: AWKWARD.deep },
      { op: 'add-file', path: 'remote extra', content: 'x' },
    ]);
    const r = await run(EXIT.syncFailed, 'verify', '--json', '--checksum', s.master, s.slave);
    const verdicts = new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path?: string; verdict?: string })
        .filter((l) => l.path !== undefined)
        .map((l) => [l.path, l.verdict]),
    );
    expect(verdicts.get(AWKWARD.backslash)).to.equal('content');
    expect(verdicts.get(AWKWARD.deep)).to.equal('missing');
    expect(verdicts.get('remote%20extra')).to.equal('extra');

    await run(EXIT.ok, 'verify', '--repair', '--checksum', s.master, s.slave);
    const diffs = compareTrees(s.master, s.root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  });
});
