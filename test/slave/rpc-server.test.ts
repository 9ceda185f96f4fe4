// The agent's JSON-lines server on its raw wire: hello first, malformed and oversize lines
// answered without stopping, strict ordering, bye and end of input.

import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS, PROTOCOL_VERSION } from '../../src/slave/index.js';
import { ROOT_GFID, RawWire, cleanupTemps, helloParams, makeTemp, startAgent } from './harness.js';

/** A valid setStime request line of exactly `bytes` bytes (without its newline); unknown params fields are ignored. */
function requestOfSize(id: number, bytes: number): string {
  const head = `{"id":${id},"method":"setStime","params":{"stimeMs":5,"pad":"`;
  const tail = '"}}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

describe('slave/rpc-server', () => {
  let raw: RawWire;
  beforeEach(() => {
    raw = new RawWire(join(makeTemp(), 'slave'));
  });
  afterEach(async () => {
    raw.toAgent.end();
    await raw.done;
    cleanupTemps();
  });

  it('requires hello first, then serves', async () => {
    raw.request(1, 'setStime', { stimeMs: 1 });
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.request(2, 'hello', helloParams());
    const r = await raw.reply();
    expect(r.id).to.equal(2);
    expect(r.result).to.include({ version: PROTOCOL_VERSION, stimeMs: null });
  });

  it('refuses another protocol version with PROTOCOL_VERSION, and a second hello', async () => {
    raw.request(1, 'hello', helloParams({ version: PROTOCOL_VERSION + 1 }));
    expect((await raw.reply()).error?.code).to.equal('PROTOCOL_VERSION');
    raw.request(2, 'hello', helloParams());
    expect((await raw.reply()).result).to.be.an('object');
    raw.request(3, 'hello', helloParams());
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
  });

  it('answers a deeply nested line in any field, before and after hello, and keeps serving', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000); // 200 KB: under the message limit
    raw.send(`{"id":1,"method":${deep},"params":{}}\n`);
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.send(`{"id":2,"method":"hello","params":${deep}}\n`);
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.request(3, 'hello', helloParams());
    expect((await raw.reply()).result).to.be.an('object');
    raw.send(`{"id":4,"method":"entryOps","params":{"ops":${deep}}}\n`);
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.send(`{"id":5,"method":${deep}}\n`);
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.request(6, 'ping', {});
    expect(await raw.reply()).to.deep.equal({ id: 6, result: null });
  });

  it('answers malformed lines, unknown methods and bad params with errors, and keeps serving', async () => {
    raw.send('this is not json\n');
    expect(await raw.reply()).to.deep.include({ id: -1 });
    raw.send('[1,2]\n{"id":"x","method":"bye"}\n');
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    for (const [i, method] of ['constructor', '__proto__', 'toString', 'call', 'runAgent'].entries()) {
      raw.request(10 + i, method, {});
      const r = await raw.reply();
      expect([r.id, r.error?.code]).to.deep.equal([10 + i, 'BAD_REQUEST']);
    }
    raw.request(20, 'hello', { version: 1 });
    const err = await raw.reply();
    expect(err.error?.code).to.equal('BAD_REQUEST');
    expect(Object.keys(err.error ?? {})).to.have.members(['code', 'message']); // no stack, no class name
    raw.request(21, 'hello', helloParams());
    expect((await raw.reply()).id).to.equal(21);
  });

  it('serves a line of exactly LIMITS.messageBytes; one byte more gets LIMIT_EXCEEDED and the server keeps serving', async () => {
    raw.request(1, 'hello', helloParams());
    await raw.reply();
    raw.send(requestOfSize(2, LIMITS.messageBytes) + '\n');
    expect(await raw.reply()).to.deep.equal({ id: 2, result: null });
    // The oversize line arrives in 1 MiB pieces: the agent must discard it, not buffer it.
    const big = Buffer.from(requestOfSize(3, LIMITS.messageBytes + 1) + '\n');
    for (let i = 0; i < big.length; i += 1 << 20) raw.send(big.subarray(i, i + (1 << 20)));
    const r = await raw.reply();
    expect(r.id).to.equal(3);
    expect(r.error?.code).to.equal('LIMIT_EXCEEDED');
    raw.request(4, 'setStime', { stimeMs: 7 });
    expect(await raw.reply()).to.deep.equal({ id: 4, result: null });
  });

  it('makes a staging box named with LIMITS.boxNameBytes characters; refuses one more, or a path out of the box, and keeps serving', async () => {
    raw.request(1, 'hello', helloParams());
    const stagingDir = ((await raw.reply()).result as { stagingDir: string }).stagingDir;
    const atLimit = 'b'.repeat(LIMITS.boxNameBytes);
    raw.request(2, 'stageData', { box: atLimit + 'b', items: [], basis: true });
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.request(3, 'stageData', { box: '..', items: [], basis: true });
    expect((await raw.reply()).error?.code).to.equal('BAD_REQUEST');
    raw.request(4, 'commitData', { box: atLimit, items: [{ gfid: ROOT_GFID, path: '../../escape' }] });
    expect((await raw.reply()).error?.code).to.equal('BAD_NAME');
    raw.request(5, 'stageData', { box: atLimit, items: [], basis: true });
    expect(await raw.reply()).to.deep.equal({ id: 5, result: { unknown: [] } });
    expect(readdirSync(stagingDir)).to.deep.equal([atLimit]);
  });

  it('handles pipelined requests strictly in order', async () => {
    raw.request(1, 'hello', helloParams());
    raw.send(
      Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ id: 100 + i, method: 'setStime', params: { stimeMs: i } }),
      ).join('\n') + '\n',
    );
    await raw.reply();
    for (let i = 0; i < 50; i++) expect((await raw.reply()).id).to.equal(100 + i);
  });

  it('stops after bye (runAgent resolves)', async () => {
    raw.request(1, 'bye', {});
    expect(await raw.reply()).to.deep.equal({ id: 1, result: null });
    await raw.done;
  });
});

describe('slave/rpc-server runAgent', () => {
  afterEach(cleanupTemps);

  it('resolves when its input ends, and a later agent sees the stime stored before', async () => {
    const root = join(makeTemp(), 'slave');
    const a = startAgent(root);
    await a.client.call('hello', helloParams());
    await a.client.call('setStime', { stimeMs: 1234 });
    a.toAgent.end();
    await a.done;
    const b = startAgent(root);
    expect((await b.client.call('hello', helloParams())).stimeMs).to.equal(1234);
    await b.client.close();
    await b.done;
  });
});
