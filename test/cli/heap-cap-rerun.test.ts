// Heap-cap rerun: which invocations rerun under daemon-heap, and when a process counts as capped.
// That the work really runs in a capped child, and stops with its parent, is e2e/oneshot-failures.

import { expect } from 'chai';
import { getHeapStatistics } from 'node:v8';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { heapCapGiven, heapCappedAlready, isOneshotSync } from '../../src/cli/heap-cap-rerun.js';
import { loadSchema } from '../../src/cli/options.js';
import { DAEMON_HEAP_DEFAULT_MIB, DAEMON_SEMI_SPACE_MIB, withHeapCap } from '../../src/monitor/heap-cap.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { PARENT_PID_ENV } from '../../src/monitor/parent-watch.js';
import { repoRoot } from '../support/cli.js';

describe('cli/heap-cap-rerun', () => {
  it('reruns sync --oneshot only', () => {
    expect(isOneshotSync(['sync', '--oneshot', '/m', '/s'])).to.equal(true);
    expect(isOneshotSync(['sync', '/m', '/s', '--oneshot', '--sync-jobs', '2'])).to.equal(true);
    expect(isOneshotSync(['sync', '/m', '/s'])).to.equal(false); // a usage error, said by the CLI itself
    expect(isOneshotSync(['verify', '/m', '/s'])).to.equal(false);
    expect(isOneshotSync(['start', '/m', '/s'])).to.equal(false);
  });

  it('takes a heap limit at the cap (young generation included) as capped, one far above or below as not', () => {
    const childLimit = (mib: number): number => {
      const [node, ...flags] = withHeapCap([process.execPath], mib);
      const js = 'require("v8").getHeapStatistics().heap_size_limit / 2 ** 20';
      return Number(execFileSync(node as string, [...flags, '-p', js], { encoding: 'utf8' }));
    };
    const at128 = childLimit(128);
    expect(heapCappedAlready(at128, 128), `limit ${at128} MiB under a 128 MiB cap`).to.equal(true);
    expect(heapCappedAlready(getHeapStatistics().heap_size_limit / 2 ** 20, 128), 'this uncapped mocha').to.equal(
      false,
    );
    expect(heapCappedAlready(at128, 512), 'a cap the operator raised is rerun for').to.equal(false);
  });

  it('guesses daemon-heap as conf/georep.conf defaults it (else every sync would rerun twice)', () => {
    expect(loadSchema().options.get('daemon-heap')?.defaultValue).to.equal(DAEMON_HEAP_DEFAULT_MIB);
  });

  it('takes a heap cap on the command line as given: the entry then leaves the decision to the sync', () => {
    expect(heapCapGiven(['--max-old-space-size=512', '--max-semi-space-size=2'])).to.equal(true);
    expect(heapCapGiven(['--import', 'tsx'])).to.equal(false);
    expect(heapCapGiven([])).to.equal(false);
  });

  it('bin/georep (the installed command) starts a one-shot with the cap, exit codes and pipe as the Node side has them', () => {
    // The launcher is a shell script: it cannot import these; what it runs is e2e/oneshot-failures.
    const script = fs.readFileSync(path.join(repoRoot, 'bin', 'georep'), 'utf8');
    const value = (name: string): number => Number(new RegExp(`^${name}=(\\d+)$`, 'm').exec(script)?.[1]);
    expect(value('heap_mib')).to.equal(DAEMON_HEAP_DEFAULT_MIB);
    expect(value('semi_mib')).to.equal(DAEMON_SEMI_SPACE_MIB);
    const [, ...flags] = withHeapCap(['node'], DAEMON_HEAP_DEFAULT_MIB);
    expect(flags).to.deep.equal(['--max-old-space-size=128', `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`]);
    expect(script).to.include('"--max-old-space-size=$heap_mib" "--max-semi-space-size=$semi_mib"');
    expect(script).to.match(new RegExp(`^  exit ${EXIT.internal}$`, 'm'));
    expect(script).to.include(`-gt 128 ]; then exit ${EXIT.interrupted}; fi`);
    expect(script).to.include(`${PARENT_PID_ENV}=$$ setsid node`);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(pkg.bin['georep'], 'npm installs the launcher').to.equal('./bin/georep');
    expect(pkg.files).to.include('bin/georep');
  });
});
