// freePort: a TCP port on loopback that nothing listens on right now (the kernel's pick), for a
// server a test starts (metrics-port, an sshd). Another process may take it before the test
// does; the tests that use it start their server at once.

import * as net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
