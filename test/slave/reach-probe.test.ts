// Reach probe on real sockets and the real ssh -G: where ssh would connect, whether a TCP
// connection is answered, and waiting until it is.

import { getEventListeners } from 'node:events';
import net from 'node:net';
import { expect } from 'chai';
import { systemClock } from '../../src/clock.js';
import { silentPort } from '../support/silent-port.js';
import { parseSshG, probeTargetOf, tcpAnswers, waitUntilAnswers } from '../../src/slave/reach-probe.js';

/** A loopback port nothing listens on (bound, read, closed). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('slave/reach-probe', () => {
  it('reads host and port from ssh -G output, and gives none through a proxy', () => {
    const base = 'user u\nhostname 10.0.0.7\nport 2222\nproxycommand none\n';
    expect(parseSshG(base)).to.deep.equal({ host: '10.0.0.7', port: 2222 });
    expect(parseSshG(base + 'proxyjump bastion\n')).to.equal(undefined);
    expect(parseSshG(base.replace('proxycommand none', 'proxycommand nc %h %p'))).to.equal(undefined);
    expect(parseSshG('hostname h\nport 0\n')).to.equal(undefined);
    expect(parseSshG('port 22\n')).to.equal(undefined);
  });

  it('asks the real ssh: the port given, the alias resolved, a ProxyJump refused', async () => {
    expect(await probeTargetOf(['ssh', '-p', '2200'], 'someone@127.0.0.9')).to.deep.equal({
      host: '127.0.0.9',
      port: 2200,
    });
    expect(await probeTargetOf(['ssh', '-oHostName=127.0.0.8', '-p', '22'], 'someone@alias')).to.deep.equal({
      host: '127.0.0.8',
      port: 22,
    });
    expect(await probeTargetOf(['ssh', '-oProxyJump=bastion', '-p', '22'], 'someone@127.0.0.9')).to.equal(undefined);
    expect(await probeTargetOf(['/no/such/ssh'], 'someone@127.0.0.9')).to.equal(undefined);
  });

  it('says whether a TCP connection is answered', async () => {
    const port = await freePort();
    expect(await tcpAnswers({ host: '127.0.0.1', port }, 500)).to.equal(false);
    const srv = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    try {
      expect(await tcpAnswers({ host: '127.0.0.1', port }, 500)).to.equal(true);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it('waits until the port answers, probing again and again, and stops when aborted', async () => {
    const port = await freePort();
    const target = { host: '127.0.0.1', port };
    const srv = net.createServer((c) => c.destroy());
    const began = Date.now();
    setTimeout(() => srv.listen(port, '127.0.0.1'), 300);
    try {
      await waitUntilAnswers(target, 50, systemClock, new AbortController().signal);
      expect(Date.now() - began).to.be.at.least(250);
    } finally {
      await new Promise((r) => srv.close(r));
    }
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    let err: unknown;
    try {
      await waitUntilAnswers(target, 50, systemClock, ac.signal);
    } catch (e) {
      err = e;
    }
    expect((err as Error | undefined)?.name).to.equal('AbortError');
  });

  it('finds a silent link that comes back within a probe spacing, while an earlier probe still waits for its SYN resend', async function () {
    this.timeout(20_000);
    const silent = await silentPort(); // a silent link, until comeBack()
    try {
      const { port } = silent;
      const target = { host: '127.0.0.1', port };
      expect(await tcpAnswers(target, 300)).to.equal(false); // silent, not refused
      const began = Date.now();
      // Each probe may wait 5 s; the kernel resends its SYN once a second (tcp_syn_linear_timeouts).
      const waiting = waitUntilAnswers(target, 5000, systemClock, new AbortController().signal);
      await new Promise((r) => setTimeout(r, 2100));
      silent.comeBack();
      await waiting;
      // Back at 2.1 s: found by the next probe (250 ms); before, by the first probe's resend at 3 s.
      expect(Date.now() - began).to.be.below(2700);
    } finally {
      silent.close();
    }
  });

  it('leaves no listener on the signal after each probe, answered or not (a long outage probes thousands of times)', async () => {
    const ac = new AbortController();
    const port = await freePort();
    for (let i = 0; i < 12; i++) expect(await tcpAnswers({ host: '127.0.0.1', port }, 200, ac.signal)).to.equal(false);
    const srv = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    try {
      expect(await tcpAnswers({ host: '127.0.0.1', port }, 500, ac.signal)).to.equal(true);
    } finally {
      await new Promise((r) => srv.close(r));
    }
    expect(getEventListeners(ac.signal, 'abort')).to.have.length(0);
    ac.abort();
    expect(await tcpAnswers({ host: '127.0.0.1', port }, 500, ac.signal)).to.equal(false); // aborted: no probe
  });
});
