// Child messages over the IPC channel: the monitor acts only on what parseChildMessage accepts,
// so anything else a child sends is dropped instead of making the monitor throw.

import { expect } from 'chai';
import { MAX_CAUSE_CHARS, parseChildMessage } from '../../src/monitor/child-message.js';

describe('monitor/child-message', () => {
  it('accepts a turn', () => {
    expect(parseChildMessage({ kind: 'turn' })).to.deep.equal({ kind: 'turn' });
  });

  it('accepts an unreachable slave with its cause, cut to one status line at most', () => {
    expect(parseChildMessage({ kind: 'unreachable', cause: 'no route' })).to.deep.equal({
      kind: 'unreachable',
      cause: 'no route',
    });
    const long = parseChildMessage({ kind: 'unreachable', cause: 'x'.repeat(5000) });
    expect(long?.kind === 'unreachable' ? long.cause.length : 0).to.equal(MAX_CAUSE_CHARS);
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
      { kind: 'unreachable' },
      { kind: 'unreachable', cause: 7 },
      { kind: 'unreachable', cause: 'x', extra: 1 },
      { kind: 'turn', cause: 'x' },
    ];
    expect(bad.map(parseChildMessage)).to.deep.equal(bad.map(() => undefined));
  });
});
