// show: a value a peer sent, quoted in an error message: scalars spelled out, anything else
// named by its kind (never walked), and at most 60 characters and an ellipsis.

import { expect } from 'chai';
import { show } from '../../src/slave/quote.js';

describe('slave/show', () => {
  it('spells out scalars as JSON', () => {
    expect([show('a"b'), show(42), show(false), show(null)]).to.deep.equal(['"a\\"b"', '42', 'false', 'null']);
  });

  it('names arrays, objects and the rest by their kind without walking them', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect([show(deep), show({ a: 1 }), show(undefined), show(1n)]).to.deep.equal([
      'an array',
      'object',
      'undefined',
      'bigint',
    ]);
  });

  it('cuts a long value to 60 characters and an ellipsis', () => {
    const s = show('x'.repeat(1000));
    expect(s).to.equal(`"${'x'.repeat(59)}…`);
    expect(show('x'.repeat(58))).to.have.length(60);
  });
});
