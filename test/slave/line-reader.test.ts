// LineReader: line splitting across chunks and the bounded discard of oversize lines.

import { expect } from 'chai';
import { LineReader } from '../../src/slave/line-reader.js';

const b = (s: string) => Buffer.from(s);

describe('slave/line-reader', () => {
  it('splits lines across chunks and keeps a last line without newline', () => {
    const r = new LineReader(10);
    expect(r.push(b('ab'))).to.deep.equal([]);
    expect(r.push(b('c\nde\n\nf'))).to.deep.equal([
      { kind: 'line', text: 'abc' },
      { kind: 'line', text: 'de' },
      { kind: 'line', text: '' },
    ]);
    expect(r.end()).to.deep.equal([{ kind: 'line', text: 'f' }]);
    expect(r.end()).to.deep.equal([]);
  });

  it('takes a line of exactly maxBytes, reports one byte more once, and goes on', () => {
    const r = new LineReader(4);
    expect(r.push(b('abcd\nabcde\nok\n'))).to.deep.equal([
      { kind: 'line', text: 'abcd' },
      { kind: 'oversize', head: 'abcde', bytes: 5 },
      { kind: 'line', text: 'ok' },
    ]);
  });

  it('discards an oversize line arriving in many chunks without holding it', () => {
    const r = new LineReader(4);
    expect(r.push(b('{"id":7'))).to.deep.equal([]);
    for (let i = 0; i < 100; i++) expect(r.push(b('xxxxxxxx'))).to.deep.equal([]);
    const [ev, next] = r.push(b('y\nnext\n'));
    expect(ev).to.deep.include({ kind: 'oversize', bytes: 7 + 800 + 1 });
    expect(ev?.kind === 'oversize' ? ev.head.startsWith('{"id":7') : false).to.equal(true);
    expect(next).to.deep.equal({ kind: 'line', text: 'next' });
  });
});
