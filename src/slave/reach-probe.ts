// Reach probe: how a live worker waits for a slave host that does not answer. A failed ssh
// connect used to end the worker, and the monitor restarted it after a backoff that doubles up
// to restart-backoff-max; a link that came back while ssh waited out its ConnectTimeout (TCP
// retries its SYN ever more rarely) or while the monitor slept was found seconds late, and every
// round cost a Node start and a module load (bench/README.md, "Where s3a's time goes"). Now the
// worker stays, tells its monitor why it is Faulty, and opens a fresh short TCP connection to
// the ssh port every probe interval; the first one that is answered sends it back to ssh.
//
// Only where a TCP connection to host:port is what ssh would open: the destination comes from
// `ssh -G` (the operator's ssh config may rename the host or change the port), and a session
// whose ssh goes through ProxyJump or ProxyCommand, or whose ssh-command is not OpenSSH, keeps
// the old way (exit, and the monitor's backoff).

import { execFile } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import type { Clock } from '../clock.js';

/** Where ssh would connect. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/** How long `ssh -G` may take: it reads config files only, and opens no connection. */
const SSH_G_TIMEOUT_MS = 5000;

/**
 * The host and port `ssh -G` resolves for `argv` (ssh and its arguments) and `destination`, or
 * undefined when ssh would not connect there itself (a proxy) or cannot say (not OpenSSH).
 */
export async function probeTargetOf(argv: readonly string[], destination: string): Promise<ProbeTarget | undefined> {
  const [program, ...args] = argv;
  if (program === undefined) return undefined;
  const out = await new Promise<string | undefined>((resolve) => {
    execFile(program, [...args, '-G', destination], { timeout: SSH_G_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout) =>
      resolve(err === null ? stdout : undefined),
    );
  });
  return out === undefined ? undefined : parseSshG(out);
}

/** The target in `ssh -G` output; undefined with a proxy, or without a host or a valid port. */
export function parseSshG(text: string): ProbeTarget | undefined {
  const conf = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(' ');
    if (at > 0) conf.set(line.slice(0, at).toLowerCase(), line.slice(at + 1).trim());
  }
  for (const proxy of ['proxycommand', 'proxyjump']) {
    const v = conf.get(proxy);
    if (v !== undefined && v !== 'none') return undefined;
  }
  const host = conf.get('hostname');
  const port = Number(conf.get('port'));
  if (host === undefined || host === '' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Whether a TCP connection to `t` is accepted within `timeoutMs` (refused, unreachable or silent:
 * no; aborted: no). The abort listener goes with the probe: net.connect's own `signal` option
 * leaves one on the signal per connection, and a worker probing through an hour's outage
 * gathered thousands (Node's MaxListenersExceededWarning in the session log).
 */
export function tcpAnswers(t: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    const sock = net.connect({ host: t.host, port: t.port, timeout: timeoutMs });
    const onAbort = (): void => done(false);
    const done = (ok: boolean): void => {
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(ok);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => done(true));
    sock.once('timeout', () => done(false));
    sock.once('error', () => done(false));
  });
}

/**
 * How often a new probe starts while earlier ones still wait. On a silent link a probe's SYN is
 * dropped and the kernel sends it again a second later (Linux ≥ 6.5 for the first four resends,
 * tcp_syn_linear_timeouts; older kernels wait 1 s, then 2 s, 4 s): a link that came back while
 * one probe waited was found at that probe's next resend, 0.5 s late on average. A fresh probe
 * this often finds it within this long; each still waits the whole interval for an answer, for
 * links slower than this.
 */
export const PROBE_SPACING_MS = 250;

/**
 * Resolves once `t` accepts a TCP connection; rejects only when `signal` aborts. A probe (a
 * fresh connection that waits at most `intervalMs`) starts every PROBE_SPACING_MS (every
 * `intervalMs` when that is shorter), so at most intervalMs / PROBE_SPACING_MS wait at once.
 */
export async function waitUntilAnswers(
  t: ProbeTarget,
  intervalMs: number,
  clock: Pick<Clock, 'sleep'>,
  signal: AbortSignal,
): Promise<void> {
  const spacingMs = Math.min(intervalMs, PROBE_SPACING_MS);
  const done = new AbortController(); // ends the probes (and the spacing timer) once one is answered
  const probes = AbortSignal.any([signal, done.signal]);
  // One abort listener per waiting probe, and the spacing timer's: bounded, not a leak.
  setMaxListeners(Math.ceil(intervalMs / spacingMs) + 2, probes);
  let answered = (): void => undefined;
  const answer = new Promise<'answered'>((resolve) => (answered = () => resolve('answered')));
  const waiting = new Set<Promise<void>>();
  try {
    for (;;) {
      signal.throwIfAborted();
      const probe = tcpAnswers(t, intervalMs, probes).then((ok) => {
        waiting.delete(probe);
        if (ok) answered();
      });
      waiting.add(probe);
      // Cancelled with the probes (finally below): no timer outlives the wait.
      const tick = clock.sleep(spacingMs, probes).then(
        () => 'tick' as const,
        () => 'tick' as const,
      );
      if ((await Promise.race([answer, tick])) === 'answered') return;
    }
  } finally {
    done.abort();
    await Promise.all(waiting);
  }
}
