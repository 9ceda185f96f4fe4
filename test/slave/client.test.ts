// SlaveClient against a real agent subprocess (test/support/agent-bin.ts) and in process:
// id correlation, wire errors as GeorepError codes, AGENT_DIED, client-side limits.

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GeorepError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { SlaveClient } from '../../src/slave/index.js';
import { parseLogLine } from '../../src/slave/client.js';
import { ROOT_GFID, apply, cleanupTemps, helloParams, makeTemp, newGfid, ops, startAgent } from './harness.js';
import { codeOfAsync } from '../support/error-code.js';

const agentArgv = (root: string) => [process.execPath, '--import', 'tsx', 'test/support/agent-bin.ts', root];

describe('slave/client', () => {
  afterEach(cleanupTemps);

  it('drives a real agent subprocess: hello, entry ops, stime, close', async () => {
    const root = join(makeTemp(), 'slave');
    const client = SlaveClient.spawn(agentArgv(root), silentLogger());
    const hello = await client.call('hello', helloParams());
    expect(hello.stimeMs).to.equal(null);
    expect(await apply(client, [ops.mkdir(newGfid(), ROOT_GFID, 'd')])).to.deep.equal([]);
    await client.call('setStime', { stimeMs: 5 });
    expect(await codeOfAsync(client.call('entryOps', { ops: [ops.create(newGfid(), newGfid(), '..')] }))).to.equal(
      'BAD_NAME',
    );
    await client.close();
    expect(existsSync(join(root, 'd'))).to.equal(true);
    expect(await codeOfAsync(client.call('setStime', { stimeMs: 6 }))).to.equal('AGENT_DIED');
  });

  it('turns error replies into GeorepError with the wire code', async () => {
    const root = join(makeTemp(), 'slave');
    const client = SlaveClient.spawn(agentArgv(root), silentLogger());
    expect(await codeOfAsync(client.call('setStime', { stimeMs: 1 }))).to.equal('BAD_REQUEST'); // before hello
    expect(await codeOfAsync(client.call('hello', helloParams({ version: 99 })))).to.equal('PROTOCOL_VERSION');
    await client.close();
  });

  it('fails pending and later calls with AGENT_DIED when the agent is killed', async () => {
    const root = join(makeTemp(), 'slave');
    const client = SlaveClient.spawn(agentArgv(root), silentLogger());
    await client.call('hello', helloParams());
    const pid = client.pid ?? -1;
    expect(client.died.aborted).to.equal(false);
    process.kill(pid, 'SIGSTOP'); // it cannot answer what is sent now
    const pending = client.call('setStime', { stimeMs: 1 });
    process.kill(pid, 'SIGKILL');
    const err = await pending.catch((e: unknown) => e);
    expect(err).to.be.instanceOf(GeorepError).with.property('code', 'AGENT_DIED');
    expect(await codeOfAsync(client.call('setStime', { stimeMs: 2 }))).to.equal('AGENT_DIED');
    // The death is also a signal, its reason the same error, for work that cannot land now.
    expect(client.died.aborted).to.equal(true);
    expect(client.died.reason).to.be.instanceOf(GeorepError).with.property('code', 'AGENT_DIED');
    await client.close();
  });

  it('names the process it spawned in its death (over ssh, the ssh client, not the agent)', async () => {
    // It reads the request first: killed before, it could break the request pipe instead (a CI run).
    const client = SlaveClient.spawn(['/bin/sh', '-c', 'read line; kill -9 $$'], silentLogger(), {
      what: 'ssh client of the slave agent on h1',
    });
    const err = await client.call('hello', helloParams()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(GeorepError).with.property('code', 'AGENT_DIED');
    expect((err as Error).message).to.match(/^ssh client of the slave agent on h1 was killed by SIGKILL/);
    await client.close();
  });

  it('does not signal a death when the agent exits because it was closed', async () => {
    const client = SlaveClient.spawn(agentArgv(join(makeTemp(), 'slave')), silentLogger());
    await client.call('hello', helloParams());
    await client.close();
    expect(client.died.aborted).to.equal(false);
  });

  it('fails with AGENT_DIED when the agent cannot be started', async () => {
    const client = SlaveClient.spawn([join(makeTemp(), 'no-such-georep'), 'slave', '/x'], silentLogger());
    expect(await codeOfAsync(client.call('hello', helloParams()))).to.equal('AGENT_DIED');
    await client.close();
  });

  it('refuses to send a request over LIMITS.messageBytes (LIMIT_EXCEEDED) and an aborted call (ABORTED)', async () => {
    const a = startAgent(join(makeTemp(), 'slave'));
    await a.client.call('hello', helloParams());
    // Each target is 4000 bytes (valid), escaped to 12000 characters: 1000 of them pass 8 MiB.
    const over = Array.from({ length: 1000 }, () => ({
      ...ops.symlink(newGfid(), ROOT_GFID, 'l', 't'),
      target: '%FF'.repeat(4000),
    }));
    expect(await codeOfAsync(a.client.call('entryOps', { ops: over }))).to.equal('LIMIT_EXCEEDED');
    const ac = new AbortController();
    ac.abort();
    expect(await codeOfAsync(a.client.call('setStime', { stimeMs: 1 }, ac.signal))).to.equal('ABORTED');
    await a.client.close();
    await a.done;
  });
});

describe('slave/client parseLogLine', () => {
  it("reads the agent's JSON log lines with their level and fields", () => {
    expect(parseLogLine('{"level":"warn","message":"no rsync basis","gfid":"g"}')).to.deep.equal({
      level: 'warn',
      message: 'no rsync basis',
      fields: { gfid: 'g' },
    });
  });

  it('leaves any other line to be shown as plain text', () => {
    for (const line of [
      'rsync: some error',
      '{not json',
      '{"level":"loud","message":"x"}',
      '{"level":"info"}',
      '[1,2]',
      'null',
    ]) {
      expect(parseLogLine(line), line).to.equal(undefined);
    }
  });
});

describe('slave/client reply validation', () => {
  /** An agent that answers every request with `result` (a slave host is not trusted). */
  const lyingAgent = (result: unknown): string[] => [
    process.execPath,
    '-e',
    `require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
       const { id, method } = JSON.parse(l);
       const result = method === 'bye' ? null : ${JSON.stringify(result)};
       process.stdout.write(JSON.stringify({ id, result }) + '\\n');
       if (method === 'bye') process.exit(0);
     });`,
  ];

  it('refuses a reply that does not match its method (BAD_REQUEST), for every method', async () => {
    const cases: [string, unknown][] = [
      ['entryOps', { failures: 'none' }],
      ['entryOps', { failures: [{ index: 0, gfid: 'not-a-gfid', code: 'EIO', message: 'x' }] }],
      ['setStime', { stimeMs: 1 }],
      ['countRemovals', { entries: -1, unknown: 0, total: 0 }],
    ];
    for (const [method, result] of cases) {
      const client = SlaveClient.spawn(lyingAgent(result), silentLogger());
      try {
        const call =
          method === 'entryOps'
            ? client.call('entryOps', { ops: [] })
            : method === 'setStime'
              ? client.call('setStime', { stimeMs: 1 })
              : client.call('countRemovals', { ops: [], dirs: [] });
        expect(await codeOfAsync(call), `${method} ${JSON.stringify(result)}`).to.equal('BAD_REQUEST');
      } finally {
        await client.close();
      }
    }
  });

  it('passes on a well-formed reply with only its declared fields', async () => {
    const client = SlaveClient.spawn(lyingAgent({ failures: [], extra: 'dropped' }), silentLogger());
    try {
      expect(await client.call('entryOps', { ops: [] })).to.deep.equal({ failures: [] });
    } finally {
      await client.close();
    }
  });
});
