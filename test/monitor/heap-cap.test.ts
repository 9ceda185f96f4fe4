// Heap cap: the monitor's children run with V8's heap bounded by daemon-heap; the flags go right
// after the executable and replace a cap of ours already in the self command, nothing else.

import { expect } from 'chai';
import { DAEMON_SEMI_SPACE_MIB, withHeapCap } from '../../src/monitor/heap-cap.js';

describe('monitor/heap-cap', () => {
  it('puts both caps right after the executable', () => {
    expect(withHeapCap(['/usr/bin/node', '--import=tsx', 'cli.ts'], 256)).to.deep.equal([
      '/usr/bin/node',
      '--max-old-space-size=256',
      `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`,
      '--import=tsx',
      'cli.ts',
    ]);
  });

  it('replaces an earlier cap of ours and keeps every other flag', () => {
    const capped = withHeapCap(
      withHeapCap(['node', '--max-old-space-size=999', '--trace-warnings', 'cli.js'], 128),
      64,
    );
    expect(capped).to.deep.equal([
      'node',
      '--max-old-space-size=64',
      `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`,
      '--trace-warnings',
      'cli.js',
    ]);
  });

  it('refuses an empty self command', () => {
    expect(() => withHeapCap([], 64)).to.throw('self command is empty');
  });
});
