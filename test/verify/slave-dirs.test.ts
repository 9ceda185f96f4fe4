// SlaveDirs: a directory's slave listing gathered page by page. Pages come from a peer, so the
// gathering holds them to one sorted list: a page that starts at or before the end of the one
// before, or a `next` that is not its last name, is a bad reply (an agent could otherwise send
// names out of order for the merge, or page for ever). The peer here is a scripted fault.

import { expect } from 'chai';
import type { SlaveCaller } from '../../src/slave/client.js';
import { EntryPacker, NATIVE_SLOTS } from '../../src/slave/listed-pack.js';
import type { Methods, PackedEntries } from '../../src/slave/protocol.js';
import { SlaveDirs } from '../../src/verify/slave-dirs.js';
import { codeOfAsync } from '../support/error-code.js';

function packed(names: string[]): PackedEntries {
  const native = new BigInt64Array(NATIVE_SLOTS);
  native[2] = 0o100644n;
  const p = new EntryPacker();
  for (const n of names) p.add(Buffer.from(n), native, 0, undefined);
  return p.finish();
}

/** A peer that answers listDir with `pages` in turn (each: names, and `next`). */
function scripted(pages: { names: string[]; next: string | null }[]): SlaveCaller & { asked: (string | null)[] } {
  const asked: (string | null)[] = [];
  let i = 0;
  return {
    asked,
    call: (async (_method: string, params: Methods['listDir']['params']) => {
      asked.push(params.after);
      const page = pages[i++] ?? { names: [], next: null };
      return { found: true, self: null, entries: packed(page.names), next: page.next };
    }) as SlaveCaller['call'],
  };
}

describe('verify/slave-dirs', () => {
  it('gathers the pages of a directory in order, asking after the last name of each', async () => {
    const peer = scripted([
      { names: ['a', 'b'], next: 'b' },
      { names: ['c'], next: null },
    ]);
    const dir = await new SlaveDirs(peer).take(Buffer.from('d'));
    expect(dir.entries.map((e) => e.name.toString())).to.deep.equal(['a', 'b', 'c']);
    expect(peer.asked).to.deep.equal([null, 'b']);
  });

  it('refuses a page that does not start after the page before it', async () => {
    const peer = scripted([
      { names: ['a', 'b'], next: 'b' },
      { names: ['b', 'c'], next: null },
    ]);
    expect(await codeOfAsync(new SlaveDirs(peer).take(Buffer.from('d')))).to.equal('BAD_REQUEST');
  });

  it('refuses a next that is not the last name of its page, and so an agent that pages for ever', async () => {
    const again = scripted([
      { names: ['a'], next: 'z' },
      { names: ['b'], next: null },
    ]);
    expect(await codeOfAsync(new SlaveDirs(again).take(Buffer.from('d')))).to.equal('BAD_REQUEST');
    const empty = scripted([{ names: [], next: 'a' }]);
    expect(await codeOfAsync(new SlaveDirs(empty).take(Buffer.from('d')))).to.equal('BAD_REQUEST');
  });
});
