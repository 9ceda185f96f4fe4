// Child messages over the IPC channel: the monitor acts only on what parseChildMessage accepts,
// so anything else a child sends is dropped instead of making the monitor throw.

import { expect } from 'chai';
import { parseChildMessage } from '../../src/monitor/child-message.js';

describe('monitor/child-message', () => {
  it('accepts a turn', () => {
    expect(parseChildMessage({ kind: 'turn' })).to.deep.equal({ kind: 'turn' });
  });

  it('drops anything else', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'turn',
      42,
      ['turn'],
      {},
      { kind: 'other' },
      { kind: 1 },
      { kind: 'turn', extra: true },
      { kind: 'toString' },
      Object.create({ kind: 'turn' }) as unknown,
    ];
    expect(bad.map(parseChildMessage)).to.deep.equal(bad.map(() => undefined));
  });
});
