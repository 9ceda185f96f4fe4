// A remote-slave session fixture for the e2e describes that reach a slave over real ssh: one
// ssh host (ssh-host.ts) for the describe, and on it the per-test session of
// session-fixture.ts, its slave root addressed through the host and the session stopped after
// each test. Call it once at the top of a describe.

import { EXIT } from '../../src/cli/exit-codes.js';
import { repoRoot } from './cli.js';
import { sessionFixture } from './session-fixture.js';
import type { SessionFixture, SessionFixtureOptions } from './session-fixture.js';
import { remoteGeorepCommand, slaveAddress, startSshHost } from './ssh-host.js';
import type { SshHost } from './ssh-host.js';

export interface RemoteSessionOptions extends Omit<SessionFixtureOptions, 'slaveOf' | 'rootName'> {
  /** The slave root's name in the test's folder (quotes, $ and ; test that no shell meets it). */
  readonly rootName: string;
}

export interface RemoteSession extends SessionFixture {
  readonly host: SshHost;
  /** The georep the slave host runs (remote-georep): this checkout (words, no spaces inside). */
  readonly remoteGeorep: string;
  /** ssh-setup pinning the host's key, the host's accepted key as ssh-identity, remote-georep. */
  setUp(): Promise<void>;
}

/** Registers the describe's hooks (stop after each test unless `stop: false`); see sessionFixture. */
export function remoteSessionFixture(opts: RemoteSessionOptions): RemoteSession {
  let host: SshHost | undefined;
  const hostOf = (): SshHost => {
    if (host === undefined) throw new Error('remoteSessionFixture: the ssh host exists only inside the describe');
    return host;
  };
  before(async function () {
    host = await startSshHost();
    console.log(
      `      (slave host: ${host.netns === undefined ? `sshd on loopback port ${host.port}, no namespace` : `namespace ${host.netns} at ${host.address}`})`,
    );
  });
  after(async function () {
    await host?.close();
    host = undefined;
  });
  const f = sessionFixture({ ...opts, stop: opts.stop ?? true, slaveOf: (root) => slaveAddress(hostOf(), root) });
  const remoteGeorep = remoteGeorepCommand(repoRoot);
  return {
    get tmp() {
      return f.tmp;
    },
    get work() {
      return f.work;
    },
    get master() {
      return f.master;
    },
    get root() {
      return f.root;
    },
    get slave() {
      return f.slave;
    },
    run: f.run,
    expectExit: f.expectExit,
    get host() {
      return hostOf();
    },
    remoteGeorep,
    setUp: async () => {
      const { master, slave } = f;
      await f.expectExit(EXIT.ok, ['ssh-setup', master, slave, '--accept-host-key', hostOf().fingerprint]);
      await f.expectExit(EXIT.ok, ['config', master, slave, 'ssh-identity', hostOf().keyFile]);
      await f.expectExit(EXIT.ok, ['config', master, slave, 'remote-georep', remoteGeorep]);
    },
  };
}
