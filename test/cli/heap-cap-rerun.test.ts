// Heap-cap rerun: which invocations rerun under daemon-heap, and when a process counts as capped.
// That the work really runs in a capped child, and stops with its parent, is e2e/oneshot-failures.

import { expect } from 'chai';
import { getHeapStatistics } from 'node:v8';
import { execFileSync } from 'node:child_process';
import { heapCapGiven, heapCappedAlready, isOneshotSync } from '../../src/cli/heap-cap-rerun.js';
import { loadSchema } from '../../src/cli/options.js';
import { DAEMON_HEAP_DEFAULT_MIB, withHeapCap } from '../../src/monitor/heap-cap.js';

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
});
