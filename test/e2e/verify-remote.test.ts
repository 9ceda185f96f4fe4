// E2E: georep verify and repair against a remote slave over real ssh (a network-namespace host
// with its own sshd, test/support/ssh-host.ts): the agent lists and hashes the slave there,
// only listings and digests cross the link; tampering is named, repaired, and an independent
// walk agrees afterwards.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeRun, repoRoot, runGeorep } from '../support/cli.js';
import type { RunResult } from '../support/cli.js';
import { remoteGeorepCommand, slaveAddress, startSshHost } from '../support/ssh-host.js';
import type { SshHost } from '../support/ssh-host.js';
import { AWKWARD, buildAwkwardTree, mutate } from '../support/tree-builder.js';
import { compareTrees, formatDifferences } from '../support/tree-compare.js';

/** The georep the slave host runs: this checkout (as remote.test.ts). */
const remoteGeorep = (): string => remoteGeorepCommand(repoRoot);

describe('e2e: verify and repair a remote slave over ssh', function () {
  this.timeout(180_000);
  let host: SshHost;
  let tmp: string;
  let work: string;
  let master: string;
  let root: string;
  let slave: string;

  before(async function () {
    host = await startSshHost();
  });
  after(async function () {
    await host?.close();
  });
  beforeEach(function () {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'georep-vremote-')));
    work = path.join(tmp, 'work');
    master = path.join(tmp, 'master');
    root = path.join(tmp, 'slave root');
    slave = slaveAddress(host, root);
  });
  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const run = async (exit: number, ...args: string[]): Promise<RunResult> => {
    const r = await runGeorep([...args, '--workdir', work]);
    expect(r.exitCode, describeRun(args, r)).to.equal(exit);
    return r;
  };

  it('names tampering on the remote slave, repairs it, and then finds nothing', async function () {
    buildAwkwardTree(master, { bigFileBytes: 256 * 1024, sparseBytes: 1024 * 1024 });
    await run(EXIT.ok, 'ssh-setup', master, slave, '--accept-host-key', host.fingerprint);
    await run(EXIT.ok, 'config', master, slave, 'ssh-identity', host.keyFile);
    await run(EXIT.ok, 'config', master, slave, 'remote-georep', remoteGeorep());
    await run(EXIT.ok, 'sync', '--oneshot', master, slave);
    expect((await run(EXIT.ok, 'verify', '--checksum', master, slave)).stdout).to.include('No divergence');

    mutate(root, [
      { op: 'rewrite-keep-mtime', path: AWKWARD.backslash },
      { op: 'delete', path: AWKWARD.deep },
      { op: 'add-file', path: 'remote extra', content: 'x' },
    ]);
    const r = await run(EXIT.syncFailed, 'verify', '--json', '--checksum', master, slave);
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

    await run(EXIT.ok, 'verify', '--repair', '--checksum', master, slave);
    const diffs = compareTrees(master, root);
    expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
  });
});
