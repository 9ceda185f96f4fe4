// The slave agent as a real subprocess for tests: `node --import tsx test/support/agent-bin.ts ROOT`
// (what `georep slave ROOT` does). Logs go to stderr; stdout is the wire.

import { createLogger } from '../../src/log.js';
import { runAgent } from '../../src/slave/index.js';

const root = process.argv[2];
if (root === undefined) {
  process.stderr.write('usage: agent-bin.ts ROOT\n');
  process.exit(2);
}
const log = createLogger({ level: 'info' });
log.info('slave agent starting', { root });
await runAgent(root, process.stdin, process.stdout, log);
log.info('slave agent done');
process.exit(0);
