// A loopback port that answers nothing, as a host gone from the network: its accept queue is
// full, so the kernel drops every SYN. python3 holds the socket (Node accepts whatever it
// listens on). comeBack() drains the queue and accepts from then on: the link is back.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SilentPort {
  readonly port: number;
  /** From now on the port answers (each connection is accepted and closed). */
  comeBack(): void;
  /** Ends the holder; call in a finally. */
  close(): void;
}

export async function silentPort(): Promise<SilentPort> {
  const holder = spawn('python3', [
    '-c',
    [
      'import socket, sys, time',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      'port = s.getsockname()[1]; held = []',
      'for i in range(3):',
      '    c = socket.socket(); c.setblocking(False)',
      "    try: c.connect(('127.0.0.1', port))",
      '    except BlockingIOError: pass',
      '    held.append(c)',
      'time.sleep(0.2); print(port, flush=True); sys.stdin.readline()',
      'while True:',
      '    a, _ = s.accept(); a.close()',
    ].join('\n'),
  ]);
  const first = await createInterface({ input: holder.stdout })[Symbol.asyncIterator]().next();
  const port = Number(first.value);
  if (!Number.isInteger(port) || port <= 0) {
    holder.kill();
    throw new Error(`silentPort: python3 printed no port (${String(first.value)})`);
  }
  return {
    port,
    comeBack: () => void holder.stdin.write('back\n'),
    close: () => void holder.kill(),
  };
}
